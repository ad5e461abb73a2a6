-- ART predictability per PI: actual business value of all objectives over planned business value of the
-- committed ones. Uncommitted (stretch) objectives add to the actual but not to the plan, so a train that
-- delivers its stretch goals can exceed 100%. Predictability is published only when every objective of the
-- train's PI has been scored: a half-scored PI would read as a miss.
with

objectives as (

    select * from {{ ref('int_pi_objectives_deduplicated') }}

),

aggregated as (

    select
        tenant_id,
        art,
        pi,
        count(*) as objectives,
        count(*) filter (where is_committed) as committed_objectives,
        count(*) filter (where not is_committed) as uncommitted_objectives,
        count(*) filter (where is_scored) as scored_objectives,
        count(distinct team) as teams,
        coalesce(sum(planned_business_value) filter (where is_committed), 0) as committed_planned_business_value,
        coalesce(sum(planned_business_value) filter (where not is_committed), 0)
            as uncommitted_planned_business_value,
        sum(actual_business_value) filter (where is_committed) as committed_actual_business_value,
        sum(actual_business_value) filter (where not is_committed) as uncommitted_actual_business_value,
        sum(actual_business_value) as actual_business_value

    from objectives
    group by tenant_id, art, pi

),

scored as (

    select
        *,
        case
            when scored_objectives = objectives then 'scored'
            when scored_objectives = 0 then 'not_scored'
            else 'partially_scored'
        end as scoring_status,
        case
            when scored_objectives = objectives
                then 100 * cast(actual_business_value as double) / nullif(committed_planned_business_value, 0)
        end as predictability_pct

    from aggregated

)

select
    tenant_id,
    art,
    pi,
    cast(teams as bigint) as teams,
    cast(objectives as bigint) as objectives,
    cast(committed_objectives as bigint) as committed_objectives,
    cast(uncommitted_objectives as bigint) as uncommitted_objectives,
    cast(scored_objectives as bigint) as scored_objectives,
    scoring_status,
    scoring_status = 'scored' as is_scored,
    cast(committed_planned_business_value as bigint) as committed_planned_business_value,
    cast(uncommitted_planned_business_value as bigint) as uncommitted_planned_business_value,
    -- Sums of the scores given so far: null before any objective of the train's PI is scored.
    cast(case when scored_objectives > 0 then coalesce(committed_actual_business_value, 0) end as bigint)
        as committed_actual_business_value,
    cast(case when scored_objectives > 0 then coalesce(uncommitted_actual_business_value, 0) end as bigint)
        as uncommitted_actual_business_value,
    cast(actual_business_value as bigint) as actual_business_value,
    cast(predictability_pct as double) as predictability_pct,
    case
        when predictability_pct < {{ var('flow_predictability_band_low_pct') }} then 'below'
        when predictability_pct > {{ var('flow_predictability_band_high_pct') }} then 'above'
        when predictability_pct is not null then 'within'
    end as predictability_band,
    case
        when predictability_pct is not null
            then predictability_pct < {{ var('flow_predictability_band_low_pct') }}
            or predictability_pct > {{ var('flow_predictability_band_high_pct') }}
    end as is_outside_band
from scored
