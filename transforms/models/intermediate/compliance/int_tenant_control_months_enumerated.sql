{%- set operator_tenant = var('operator_tenant') -%}
-- Every tenant x control x month from the tenant's first month of data to the latest month of data, so that a
-- control tested on an empty population shows as `not_applicable` rather than as a missing row; a tenant is not
-- tested before it has data, so a tenant first seen later adds no rows to closed months. Tenants are those with
-- any audit, usage, incident or delivery record, plus the operator tenant (which answers for erasures, from the
-- first month of any data or erasure request).
with

audit_events as (

    select tenant_id, occurred_at from {{ ref('stg_silver__audit_events') }}

),

usage_events as (

    select tenant_id, occurred_at from {{ ref('stg_silver__usage_events') }}

),

incident_events as (

    select tenant_id, occurred_at from {{ ref('stg_silver__incident_events') }}

),

deployments as (

    select tenant_id, occurred_at from {{ ref('stg_silver__deployments') }}

),

erasures as (

    select requested_at as occurred_at from {{ ref('stg_governance__erasure_log') }}

),

controls as (

    select control_id, framework, criterion, title from {{ ref('compliance_control_catalog') }}

),

activity as (

    select * from audit_events
    union all
    select * from usage_events
    union all
    select * from incident_events
    union all
    select * from deployments

),

-- erasure requests may predate the other data; their months are reported too
moments as (

    select occurred_at from activity
    union all
    select occurred_at from erasures

),

months as (

    select unnest(generate_series(
        date_trunc('month', min(occurred_at))::date,
        date_trunc('month', max(occurred_at))::date,
        interval '1 month'
    ))::date as month
    from moments

),

tenants as (

    select tenant_id, min(date_trunc('month', occurred_at))::date as first_month
    from activity
    where tenant_id <> '{{ operator_tenant }}'
    group by tenant_id
    union all
    select '{{ operator_tenant }}' as tenant_id, min(month) as first_month
    from months

)

select
    tenants.tenant_id,
    controls.control_id,
    controls.framework,
    controls.criterion,
    controls.title as control_title,
    months.month
from tenants
cross join controls
inner join months
    on months.month >= tenants.first_month
