{#- Within = at most this many hours after the HR termination (exactly 24 hours is on time). -#}
{%- set disable_within_hours = var('compliance_deprovisioning_within_hours') -%}
{#- Activity evidence kept per termination (earliest first); `detail` gives the full counts. -#}
{%- set max_activity_evidence = 100 -%}
-- SOC 2 CC6.2 / CC6.3: a terminated person's account is disabled within 24 hours and used no more after the
-- termination. "Used" is any audit event the person acted in that was not denied (a denied log-in shows the
-- disable working) or any usage window of theirs (usage user_id and audit actor_id are pseudonyms of one key).
-- The as-of time is the end of the data's as-of day (int_lake_as_of, across feeds: a stopped audit feed does not
-- stop the clock): a termination still inside its 24 hours then, not yet disabled and with no activity, cannot be
-- judged yet and is left out until it can. One row per tested termination and exception.
with

audit_events as (

    select * from {{ ref('stg_silver__audit_events') }}

),

usage_events as (

    select * from {{ ref('stg_silver__usage_events') }}

),

as_of as (

    select as_of_at as as_of from {{ ref('int_lake_as_of') }}

),

terminations as (

    select
        tenant_id,
        event_id,
        target_user_id,
        occurred_at as terminated_at
    from audit_events
    where action = 'user.terminate'
        and target_user_id is not null

),

disables as (

    select
        tenant_id,
        event_id,
        target_user_id,
        occurred_at as disabled_at
    from audit_events
    where action = 'user.disable'
        and outcome = 'success'

),

-- The disable that answers a termination is the first one at or after it; an account already disabled before HR's
-- notice counts as disabled on time.
matched as (

    select
        terminations.tenant_id,
        terminations.event_id,
        terminations.target_user_id,
        terminations.terminated_at,
        coalesce(
            min(disables.disabled_at) filter (where disables.disabled_at >= terminations.terminated_at),
            max(disables.disabled_at) filter (where disables.disabled_at < terminations.terminated_at)
        ) as disabled_at,
        coalesce(
            arg_min(disables.event_id, disables.disabled_at)
                filter (where disables.disabled_at >= terminations.terminated_at),
            arg_max(disables.event_id, disables.disabled_at)
                filter (where disables.disabled_at < terminations.terminated_at)
        ) as disable_event_id
    from terminations
    left join disables
        on terminations.tenant_id = disables.tenant_id
        and terminations.target_user_id = disables.target_user_id
    group by all

),

activity as (

    select
        matched.event_id as termination_event_id,
        audit_events.event_id,
        audit_events.occurred_at,
        'audit' as source
    from matched
    inner join audit_events
        on matched.tenant_id = audit_events.tenant_id
        and matched.target_user_id = audit_events.actor_id
        and audit_events.occurred_at > matched.terminated_at
        and audit_events.outcome != 'denied'

    union all

    select
        matched.event_id as termination_event_id,
        usage_events.event_id,
        usage_events.occurred_at,
        'usage' as source
    from matched
    inner join usage_events
        on matched.tenant_id = usage_events.tenant_id
        and matched.target_user_id = usage_events.user_id
        and usage_events.occurred_at > matched.terminated_at

),

activity_rolled_up as (

    select
        termination_event_id,
        count(*) filter (where source = 'audit') as audit_events,
        count(*) filter (where source = 'usage') as usage_windows,
        min(occurred_at) as first_active_at,
        max(occurred_at) as last_active_at,
        list(event_id order by occurred_at, event_id)[1:{{ max_activity_evidence }}] as activity_event_ids
    from activity
    group by termination_event_id

),

measured as (

    select
        matched.*,
        matched.terminated_at + interval '{{ disable_within_hours }} hours' as disable_due_at,
        greatest(date_diff('second', matched.terminated_at, matched.disabled_at), 0) / 3600.0
            as hours_to_disable,
        date_diff('second', matched.terminated_at, as_of.as_of) / 3600.0 as hours_since_termination,
        coalesce(activity_rolled_up.audit_events, 0) as audit_events_after,
        coalesce(activity_rolled_up.usage_windows, 0) as usage_windows_after,
        activity_rolled_up.first_active_at,
        activity_rolled_up.last_active_at,
        activity_rolled_up.activity_event_ids,
        as_of.as_of
    from matched
    cross join as_of
    left join activity_rolled_up on matched.event_id = activity_rolled_up.termination_event_id

),

population as (

    select
        tenant_id,
        'CC6.2-DEPROVISIONING' as control_id,
        date_trunc('month', terminated_at)::date as month,
        event_id as population_item_id,
        terminated_at as occurred_at,
        target_user_id,
        disabled_at,
        hours_to_disable,
        hours_since_termination,
        audit_events_after,
        usage_windows_after,
        first_active_at,
        last_active_at,
        as_of,
        list_filter([event_id, disable_event_id], lambda x: x is not null) as evidence_event_ids,
        activity_event_ids
    from measured
    where disabled_at is not null
        or as_of > disable_due_at
        or audit_events_after + usage_windows_after > 0

),

exceptions as (

    select
        tenant_id,
        population_item_id,
        'disabled_late' as exception_type,
        hours_to_disable as measured_value,
        'Account disabled ' || round(hours_to_disable, 1) || ' hours after the termination' as detail,
        evidence_event_ids
    from population
    where hours_to_disable > {{ disable_within_hours }}

    union all

    select
        tenant_id,
        population_item_id,
        'not_disabled' as exception_type,
        hours_since_termination as measured_value,
        'Account not disabled ' || round(hours_since_termination, 1)
        || ' hours after the termination, as of ' || strftime(as_of, '%Y-%m-%d %H:%M') || ' UTC' as detail,
        evidence_event_ids
    from population
    where disabled_at is null
        and hours_since_termination > {{ disable_within_hours }}

    union all

    select
        tenant_id,
        population_item_id,
        'active_after_termination' as exception_type,
        (audit_events_after + usage_windows_after)::double as measured_value,
        audit_events_after || ' audit events and ' || usage_windows_after
        || ' usage windows after the termination, from ' || strftime(first_active_at, '%Y-%m-%d %H:%M:%S')
        || ' to ' || strftime(last_active_at, '%Y-%m-%d %H:%M:%S') || ' UTC' as detail,
        evidence_event_ids || activity_event_ids as evidence_event_ids
    from population
    where audit_events_after + usage_windows_after > 0

)

{%- set threshold_value -%}
    case
        when exceptions.exception_type in ('disabled_late', 'not_disabled')
            then cast({{ disable_within_hours }} as double)
        when exceptions.exception_type = 'active_after_termination' then 0.0
    end
{%- endset %}

select
    {{- compliance_result_columns(
        actor_id='population.target_user_id',
        target_user_id='population.target_user_id',
        measured_value='exceptions.measured_value',
        threshold_value=threshold_value,
        evidence_event_ids='coalesce(exceptions.evidence_event_ids, population.evidence_event_ids)'
    ) }}
from population
left join exceptions
    on population.tenant_id = exceptions.tenant_id
    and population.population_item_id = exceptions.population_item_id
