{%- set operator_tenant = var('operator_tenant') -%}
-- Every tenant x control x month from the first month of data (or of an erasure request) to the latest one, so
-- that a control tested on an empty population shows as `not_applicable` rather than as a missing row. Tenants are
-- those with any audit, usage, incident or delivery record, plus the operator tenant (which answers for erasures).
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

tenants as (

    select distinct tenant_id from activity
    union
    select '{{ operator_tenant }}' as tenant_id

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
cross join months
