-- SOC 2 CC6.1: every interactive log-in must use a second factor. Only successful log-ins of people are tested:
-- failed and denied attempts opened no session, and service accounts authenticate with tokens, not log-ins.
-- One row per tested log-in; `exception_type` is null when it passed.
with

audit_events as (

    select * from {{ ref('stg_silver__audit_events') }}

),

logins as (

    select *
    from audit_events
    where action = 'auth.login'
        and outcome = 'success'
        and actor_type = 'user'

),

tested as (

    select
        tenant_id,
        'CC6.1-MFA' as control_id,
        date_trunc('month', occurred_at)::date as month,
        event_id as population_item_id,
        occurred_at,
        -- a missing flag is no evidence of a second factor
        is_mfa_used is not true as is_exception,
        actor_id,
        [event_id] as evidence_event_ids
    from logins

)

select
    {{- compliance_result_columns(
        population_cte=none,
        exceptions_cte=none,
        exception_id="case when is_exception then control_id || ':' || population_item_id || ':login_without_mfa' end",
        exception_type="case when is_exception then 'login_without_mfa' end",
        actor_id='actor_id',
        detail="case when is_exception then 'Interactive log-in without a second factor' end"
    ) }}
from tested
