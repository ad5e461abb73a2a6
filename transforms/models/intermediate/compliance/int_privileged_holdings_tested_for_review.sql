{#- The review campaign is the last 14 days of the quarter; reviews that slip into the first days of the next
    quarter (a campaign closing over a weekend) still count for a grace week. -#}
{%- set campaign_days = var('compliance_access_review_campaign_days') -%}
{%- set grace_days = var('compliance_access_review_grace_days') -%}
-- SOC 2 CC6.3: every privileged role held when a quarter's review campaign starts is reviewed in that campaign by
-- someone other than its holder. The access list is the snapshot at the campaign start (roles granted during the
-- campaign wait for the next one). Holdings come from three kinds of evidence:
--   * grants of privileged roles, each held until the first revoke of that user and role after it;
--   * roles held before the data begins (tenants' first administrators have no grant event): a (user, role) whose
--     first event in the lake is a review or a revoke was held from before the data until its first revoke;
--   * accounts that acted as administrators in the quarter (granted, revoked or reviewed roles, approved a grant,
--     changed tenant settings) without any known privileged role overlapping the quarter: their role is unknown
--     (null) and any review of them in the campaign counts.
-- Limitation: a first administrator with no review, no revoke and no administrative action anywhere in the data is
-- invisible. A quarter is tested once the data covers it from before its campaign to the end of the grace week.
with

audit_events as (

    select * from {{ ref('stg_silver__audit_events') }}

),

-- the audit trail's start (roles before it are inferred) and the data's as-of, across feeds (int_lake_as_of)
bounds as (

    select
        (select min(occurred_at) from audit_events) as data_start,
        (select as_of_at from {{ ref('int_lake_as_of') }}) as as_of

),

quarters as (

    select
        quarter_start,
        quarter_start + interval '3 months' as quarter_end,
        quarter_start + interval '3 months' - interval '{{ campaign_days }} days' as campaign_start,
        quarter_start + interval '3 months' + interval '{{ grace_days }} days' as window_end
    from (
        select unnest(generate_series(
            date_trunc('quarter', data_start), date_trunc('quarter', as_of), interval '3 months'
        )) as quarter_start
        from bounds
    )

),

tested_quarters as (

    select
        quarters.*,
        year(quarter_start) || '-Q' || quarter(quarter_start) as quarter_label
    from quarters
    cross join bounds
    where quarters.campaign_start >= bounds.data_start
        and quarters.window_end <= bounds.as_of

),

role_events as (

    select
        tenant_id,
        target_user_id as user_id,
        role,
        action,
        actor_id,
        event_id,
        occurred_at
    from audit_events
    where action in ('iam.role.grant', 'iam.role.revoke', 'access.review')
        and is_privileged
        and outcome = 'success'
        and target_user_id is not null
        and role is not null

),

granted as (

    select
        grants.tenant_id,
        grants.user_id,
        grants.role,
        grants.occurred_at as held_from,
        min(revokes.occurred_at) as held_until,
        grants.event_id as evidence_event_id
    from role_events as grants
    left join role_events as revokes
        on grants.tenant_id = revokes.tenant_id
        and grants.user_id = revokes.user_id
        and grants.role = revokes.role
        and revokes.action = 'iam.role.revoke'
        and revokes.occurred_at > grants.occurred_at
    where grants.action = 'iam.role.grant'
    group by grants.tenant_id, grants.user_id, grants.role, grants.occurred_at, grants.event_id

),

first_seen as (

    select
        tenant_id,
        user_id,
        role,
        arg_min(action, occurred_at) as first_action,
        arg_min(event_id, occurred_at) as first_event_id,
        min(occurred_at) filter (where action = 'iam.role.revoke') as first_revoked_at
    from role_events
    group by tenant_id, user_id, role

),

held_before_data as (

    select
        tenant_id,
        user_id,
        role,
        cast(null as timestamptz) as held_from,
        first_revoked_at as held_until,
        first_event_id as evidence_event_id
    from first_seen
    where first_action != 'iam.role.grant'

),

holdings as (

    select * from granted
    union all
    select * from held_before_data

),

known_at_campaign as (

    select
        tested_quarters.quarter_label,
        holdings.tenant_id,
        holdings.user_id,
        holdings.role,
        list(holdings.evidence_event_id order by holdings.evidence_event_id) as holding_event_ids
    from tested_quarters
    inner join holdings
        on (holdings.held_from is null or holdings.held_from < tested_quarters.campaign_start)
        and (holdings.held_until is null or holdings.held_until > tested_quarters.campaign_start)
    group by tested_quarters.quarter_label, holdings.tenant_id, holdings.user_id, holdings.role

),

known_in_quarter as (

    select distinct
        tested_quarters.quarter_label,
        holdings.tenant_id,
        holdings.user_id
    from tested_quarters
    inner join holdings
        on (holdings.held_from is null or holdings.held_from < tested_quarters.quarter_end)
        and (holdings.held_until is null or holdings.held_until > tested_quarters.quarter_start)

),

administrative_actions as (

    select
        tenant_id,
        actor_id as user_id,
        event_id,
        occurred_at
    from audit_events
    where actor_type = 'user'
        and outcome = 'success'
        and action in ('{{ var("compliance_administrative_actions") | join("', '") }}')

    union all

    select
        tenant_id,
        approver_id as user_id,
        event_id,
        occurred_at
    from audit_events
    where action = 'iam.role.grant'
        and outcome = 'success'
        and approver_id is not null

),

inferred_at_campaign as (

    select
        tested_quarters.quarter_label,
        administrative_actions.tenant_id,
        administrative_actions.user_id,
        cast(null as varchar) as role,
        list(
            administrative_actions.event_id
            order by administrative_actions.occurred_at, administrative_actions.event_id
        )[1:10] as holding_event_ids
    from tested_quarters
    inner join administrative_actions
        on administrative_actions.occurred_at >= tested_quarters.quarter_start
        and administrative_actions.occurred_at < tested_quarters.quarter_end
    left join known_in_quarter
        on tested_quarters.quarter_label = known_in_quarter.quarter_label
        and administrative_actions.tenant_id = known_in_quarter.tenant_id
        and administrative_actions.user_id = known_in_quarter.user_id
    where known_in_quarter.user_id is null
    group by tested_quarters.quarter_label, administrative_actions.tenant_id, administrative_actions.user_id

),

held_at_campaign as (

    select * from known_at_campaign
    union all
    select * from inferred_at_campaign

),

reviews as (

    select * from role_events where action = 'access.review'

),

tested as (

    select
        held_at_campaign.tenant_id,
        held_at_campaign.quarter_label,
        held_at_campaign.user_id,
        held_at_campaign.role,
        tested_quarters.campaign_start,
        held_at_campaign.holding_event_ids,
        count(reviews.event_id) as reviews,
        count(reviews.event_id) filter (where reviews.actor_id != held_at_campaign.user_id) as independent_reviews,
        coalesce(list(reviews.event_id order by reviews.occurred_at, reviews.event_id)
            filter (where reviews.event_id is not null), []) as review_event_ids
    from held_at_campaign
    inner join tested_quarters on held_at_campaign.quarter_label = tested_quarters.quarter_label
    left join reviews
        on held_at_campaign.tenant_id = reviews.tenant_id
        and held_at_campaign.user_id = reviews.user_id
        and (held_at_campaign.role is null or held_at_campaign.role = reviews.role)
        and reviews.occurred_at >= tested_quarters.campaign_start
        and reviews.occurred_at < tested_quarters.window_end
    group by all

),

population as (

    select
        tenant_id,
        'CC6.3-ACCESS-REVIEW' as control_id,
        date_trunc('month', campaign_start)::date as month,
        quarter_label || ':' || user_id || ':' || coalesce(role, '*') as population_item_id,
        campaign_start as occurred_at,
        user_id,
        role,
        quarter_label,
        reviews,
        independent_reviews,
        holding_event_ids
        || list_filter(review_event_ids, lambda x: not list_contains(holding_event_ids, x)) as evidence_event_ids
    from tested

),

exceptions as (

    select
        tenant_id,
        population_item_id,
        case when reviews = 0 then 'not_reviewed' else 'self_reviewed' end as exception_type,
        case
            when role is null then 'Account acting as an administrator (role unknown)'
            else 'Privileged role ' || role
        end
        || case
            when reviews = 0 then ' not reviewed in the ' || quarter_label || ' access review campaign'
            else ' reviewed only by its holder in the ' || quarter_label || ' access review campaign'
        end as detail
    from population
    where independent_reviews = 0

)

select
    {{- compliance_result_columns(actor_id='population.user_id', target_user_id='population.user_id') }}
from population
left join exceptions
    on population.tenant_id = exceptions.tenant_id
    and population.population_item_id = exceptions.population_item_id
