with

source as (

    -- rows stored before exports were keyed count as one export per file
    select * replace (coalesce(export_id, 'file:' || _source_file) as export_id)
    from {{ source('silver', 'cost') }}

),

-- FOCUS exports restate whole billing periods: per provider, billing account and period, the export delivered
-- last is the bill. The exports it superseded stay in bronze and silver, findable by export_id.
current_exports as (

    select export_id
    from source
    group by export_id, provider_name, billing_account_id, billing_period_start
    qualify row_number() over (
        partition by provider_name, billing_account_id, billing_period_start
        order by min(_ingested_at) desc, export_id desc
    ) = 1

),

renamed as (

    select
        -- ids
        cast(event_id as varchar) as event_id,
        cast(export_id as varchar) as export_id,
        cast(tenant_id as varchar) as tenant_id,
        cast(billing_account_id as varchar) as billing_account_id,
        cast(commitment_discount_id as varchar) as commitment_discount_id,
        cast(region_id as varchar) as region_id,
        cast(resource_id as varchar) as resource_id,
        cast(sku_id as varchar) as sku_id,
        cast(sku_price_id as varchar) as sku_price_id,
        cast(sub_account_id as varchar) as sub_account_id,

        -- text
        cast(billing_currency as varchar) as billing_currency,
        cast(billing_account_name as varchar) as billing_account_name,
        cast(charge_category as varchar) as charge_category,
        cast(charge_class as varchar) as charge_class,
        cast(charge_description as varchar) as charge_description,
        cast(charge_frequency as varchar) as charge_frequency,
        cast(commitment_discount_category as varchar) as commitment_discount_category,
        cast(commitment_discount_name as varchar) as commitment_discount_name,
        cast(commitment_discount_type as varchar) as commitment_discount_type,
        cast(commitment_discount_status as varchar) as commitment_discount_status,
        cast(consumed_unit as varchar) as consumed_unit,
        cast(pricing_unit as varchar) as pricing_unit,
        cast(pricing_category as varchar) as pricing_category,
        cast(invoice_issuer_name as varchar) as invoice_issuer_name,
        cast(provider_name as varchar) as provider_name,
        cast(publisher_name as varchar) as publisher_name,
        cast(region_name as varchar) as region_name,
        cast(availability_zone as varchar) as availability_zone,
        cast(resource_name as varchar) as resource_name,
        cast(resource_type as varchar) as resource_type,
        cast(service_category as varchar) as service_category,
        cast(service_name as varchar) as service_name,
        cast(sub_account_name as varchar) as sub_account_name,

        -- numerics
        cast(billed_cost as double) as billed_cost,
        cast(effective_cost as double) as effective_cost,
        cast(list_cost as double) as list_cost,
        cast(contracted_cost as double) as contracted_cost,
        cast(consumed_quantity as double) as consumed_quantity,
        cast(pricing_quantity as double) as pricing_quantity,
        cast(list_unit_price as double) as list_unit_price,
        cast(contracted_unit_price as double) as contracted_unit_price,

        -- json
        cast(tags as json) as tags,

        -- timestamps
        cast(occurred_at as timestamptz) as occurred_at,
        cast(billing_period_start as timestamptz) as billing_period_start,
        cast(billing_period_end as timestamptz) as billing_period_end,
        cast(charge_period_start as timestamptz) as charge_period_start,
        cast(charge_period_end as timestamptz) as charge_period_end,

        -- lineage
        cast(event_date as date) as event_date,
        cast(_source_file as varchar) as _source_file,
        cast(_line as bigint) as _line,
        cast(_ingested_at as timestamptz) as _ingested_at,
        cast(_extra as json) as _extra

    from source
    where export_id in (select export_id from current_exports)

)

select * from renamed
