with

line_items as (

    select * from {{ ref('stg_silver__cost_line_items') }}

),

rules as (

    select * from {{ ref('cost_tag_tenants') }}

),

tenant_keys as (

    select distinct tag_key from rules where allocation_class = 'direct'

),

-- one row per tag of a line item; non-object `Tags` (null, arrays, scalars) has no tags
tag_keys as (

    select
        event_id,
        tags,
        unnest(json_keys(tags)) as tag_key
    from line_items
    where json_type(tags) = 'OBJECT'

),

tags as (

    select
        event_id,
        tag_key,
        -- ingestion trims tag values and ignores empty ones; so do the rules
        nullif(trim(tags ->> tag_key), '') as tag_value
    from tag_keys

),

tags_matched as (

    select
        tags.event_id,
        rules.tenant_id,
        rules.allocation_class,
        tags.tag_value is not null
        and rules.tag_key is null
        and tags.tag_key in (select tag_key from tenant_keys) as is_unknown_tenant
    from tags
    left join rules
        on tags.tag_key = rules.tag_key
        and tags.tag_value = rules.tag_value

),

tags_summarised as (

    select
        event_id,
        count(distinct tenant_id) filter (where allocation_class = 'direct') as tenants_named,
        min(tenant_id) filter (where allocation_class = 'direct') as tenant_named,
        count(*) filter (where is_unknown_tenant) as unknown_tenant_tags,
        count(*) filter (where allocation_class = 'shared') as shared_tags
    from tags_matched
    group by event_id

),

classified as (

    select
        line_items.*,
        tags_summarised.tenant_named,
        case
            when tags_summarised.tenants_named = 1 and tags_summarised.unknown_tenant_tags = 0 then 'direct'
            when tags_summarised.tenants_named = 0
                and tags_summarised.unknown_tenant_tags = 0
                and tags_summarised.shared_tags > 0 then 'shared'
            else 'unallocated'
        end as allocation_class,
        case
            when tags_summarised.event_id is null then 'untagged'
            when tags_summarised.tenants_named > 0 then 'conflicting_tenant_tags'
            when tags_summarised.unknown_tenant_tags > 0 then 'unknown_tenant'
            else 'no_allocation_tag'
        end as reason_if_unallocated
    from line_items
    left join tags_summarised
        on line_items.event_id = tags_summarised.event_id

),

final as (

    select
        event_id,
        date_trunc('month', coalesce(billing_period_start, charge_period_start))::date as billing_month,
        charge_period_start::date as charge_date,
        billing_currency,
        provider_name,
        service_name,
        service_category,
        charge_category,
        charge_class,
        charge_frequency,
        pricing_category,
        commitment_discount_status,
        resource_id,
        tags,
        tenant_id as ingested_tenant_id,
        allocation_class,
        case allocation_class
            when 'direct' then tenant_named
            when 'unallocated' then 'unallocated'
        end as tenant_id,
        case when allocation_class = 'unallocated' then reason_if_unallocated end as unallocated_reason,
        -- FOCUS costs are exported with 10 decimals; decimals keep the monthly sums exact
        cast(billed_cost as decimal(38, 10)) as billed_cost,
        cast(effective_cost as decimal(38, 10)) as effective_cost,
        cast(list_cost as decimal(38, 10)) as list_cost
    from classified

)

select * from final
