-- The four DORA keys per team and month with a DORA 2023 performance band for each; the band thresholds are the
-- `dora_*` vars of dbt_project.yml. The change failure bands compare counts, not the rounded ratio, so that
-- exactly 5% (1 in 20) is elite without floating-point doubt. A band of a partial month (`is_partial`) is read on
-- its covered days only.
with

team_months as (

    select * from {{ ref('int_team_months_aggregated') }}

),

banded as (

    select
        tenant_id,
        team,
        month,
        {{ period_coverage_columns('month', 'month') }},
        deployments,
        deployment_days,
        weeks_measured,
        median_deployment_days_per_week,
        case
            when deployments = 0 then 'low'
            -- deployed, but no whole week of data in the month to measure the weekly rate on
            when median_deployment_days_per_week is null then null
            when median_deployment_days_per_week >= {{ var('dora_deployment_days_per_week_elite') }} then 'elite'
            when median_deployment_days_per_week >= {{ var('dora_deployment_days_per_week_high') }} then 'high'
            else 'medium'
        end as deployment_frequency_band,
        commits_deployed,
        lead_time_p50_hours,
        case
            when lead_time_p50_hours is null then null
            when lead_time_p50_hours < {{ var('dora_lead_time_hours_elite') }} then 'elite'
            when lead_time_p50_hours < {{ var('dora_lead_time_hours_high') }} then 'high'
            when lead_time_p50_hours < {{ var('dora_lead_time_hours_medium') }} then 'medium'
            else 'low'
        end as lead_time_band,
        production_deployment_attempts,
        change_failures,
        change_failure_rate,
        case
            when production_deployment_attempts = 0 then null
            when change_failures * 100 <= production_deployment_attempts * {{ var('dora_change_failure_pct_elite') }}
                then 'elite'
            when change_failures * 100 <= production_deployment_attempts * {{ var('dora_change_failure_pct_high') }}
                then 'high'
            when change_failures * 100 <= production_deployment_attempts * {{ var('dora_change_failure_pct_medium') }}
                then 'medium'
            else 'low'
        end as change_failure_rate_band,
        incidents,
        resolved_incidents,
        time_to_restore_p50_hours,
        case
            when time_to_restore_p50_hours is null then null
            when time_to_restore_p50_hours < {{ var('dora_recovery_hours_elite') }} then 'elite'
            when time_to_restore_p50_hours < {{ var('dora_recovery_hours_high') }} then 'high'
            when time_to_restore_p50_hours < {{ var('dora_recovery_hours_medium') }} then 'medium'
            else 'low'
        end as time_to_restore_band,
        failed_deployment_recoveries,
        failed_deployment_recovery_p50_hours,
        case
            when failed_deployment_recovery_p50_hours is null then null
            when failed_deployment_recovery_p50_hours < {{ var('dora_recovery_hours_elite') }} then 'elite'
            when failed_deployment_recovery_p50_hours < {{ var('dora_recovery_hours_high') }} then 'high'
            when failed_deployment_recovery_p50_hours < {{ var('dora_recovery_hours_medium') }} then 'medium'
            else 'low'
        end as failed_deployment_recovery_band
    from team_months

)

select * from banded
