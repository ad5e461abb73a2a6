{%- set feeds = [
    'stg_silver__audit_events',
    'stg_silver__usage_events',
    'stg_silver__incident_events',
    'stg_silver__deployments',
    'stg_silver__pull_request_events',
    'stg_silver__work_item_transitions',
    'stg_silver__pi_objectives',
    'stg_silver__pushes',
    'stg_silver__cost_line_items',
] -%}
-- The data's as-of (defined in the model description): one row, from the event days of every silver feed. Read
-- from the data, never from the wall clock, so that a rebuild of the same lake gives the same figures.
with

{% for feed in feeds %}
{{ feed }} as (

    select
        min(event_date) as first_day,
        max(event_date) as last_day
    from {{ ref(feed) }}

),

{% endfor %}
feeds as (

{% for feed in feeds %}
    select * from {{ feed }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}

),

bounds as (

    select
        min(first_day) as first_day,
        max(last_day) as latest_event_day
    from feeds

)

select
    first_day,
    latest_event_day,
    cast(latest_event_day - 1 - {{ var('data_as_of_grace_days') }} as date) as as_of_date,
    -- the end of the as-of day (midnight UTC after it), for controls that measure time up to the as-of
    cast(latest_event_day - {{ var('data_as_of_grace_days') }} as timestamptz) as as_of_at
from bounds
