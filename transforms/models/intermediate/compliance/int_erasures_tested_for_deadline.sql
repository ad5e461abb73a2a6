{%- set within_days = var('compliance_erasure_within_days') -%}
{#- Erasures are not tenant-scoped (a data subject may appear in several tenants and in the operator's own
    records); the operator answers for them, so they are reported under the operator tenant. -#}
{%- set operator_tenant = var('operator_tenant') -%}
-- GDPR Art. 12(3) / Art. 17: an erasure request is fulfilled within 30 days of receipt. Counted in calendar days
-- (UTC dates): a request on 1 September is on time through 1 October (day 30) and late from 2 October (day 31),
-- whatever the hours. The erasure log holds completed erasures only (receipts of `opslake erase`), so open requests
-- cannot be tested here. Reported under the operator tenant, by month of the request.
with

erasures as (

    select * from {{ ref('stg_governance__erasure_log') }}

),

population as (

    select
        '{{ operator_tenant }}' as tenant_id,
        'GDPR-ART17-ERASURE' as control_id,
        date_trunc('month', requested_at)::date as month,
        -- the request's item id names a digest of the subject's key, never the key: once erased, the key stays
        -- in the erasure log only, while every tested request is published (compliance_population)
        'erasure-' || left(sha256(subject_key), 16) || '@' || strftime(requested_at, '%Y-%m-%dT%H:%M:%SZ')
            as population_item_id,
        requested_at as occurred_at,
        subject_key,
        erased_at,
        date_diff('day', requested_at::date, erased_at::date) as days_to_erasure
    from erasures

),

tested as (

    select
        *,
        days_to_erasure > {{ within_days }} as is_exception,
        {{ within_days }} as limit_days
    from population

)

select
    {{- compliance_result_columns(
        population_cte=none,
        exceptions_cte=none,
        exception_id="case when is_exception then control_id || ':' || population_item_id || ':erased_late' end",
        exception_type="case when is_exception then 'erased_late' end",
        actor_id='subject_key',
        target_user_id='subject_key',
        measured_value='case when is_exception then days_to_erasure::double end',
        threshold_value='case when is_exception then limit_days::double end',
        detail="case when is_exception then 'Erasure finished on day ' || days_to_erasure
            || ' after the request (limit ' || limit_days || ' days)' end",
        evidence_event_ids="['erasure_log:' || population_item_id]"
    ) }}
from tested
