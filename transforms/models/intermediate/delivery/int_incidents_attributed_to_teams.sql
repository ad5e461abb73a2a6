-- One row per incident, attributed to the deploying tenant and team that DORA reports it under. Incidents carry
-- the most affected customer tenant; DORA is about the engineering organisation that shipped the change, so:
--   1. a change-induced incident goes to the team (and tenant) of the production deployment that caused it;
--   2. any other incident, or one whose causing deployment predates the lake, goes to the service's owner: the
--      team of the service's latest production deployment finished at or before the trigger (ownership as it
--      was then), else of its first production deployment after it (the service had not been deployed yet).
-- Incidents of a service never deployed to production in the lake stay unattributed (null team).
with

incidents as (

    select * from {{ ref('int_incidents_rolled_up') }}

),

deployments as (

    select * from {{ ref('int_production_deployments_joined_to_incidents') }}

),

service_owners as (

    select
        incidents.incident_id,
        coalesce(
            arg_max(deployments.team, deployments.finished_at)
                filter (where deployments.finished_at <= incidents.triggered_at),
            arg_min(deployments.team, deployments.finished_at)
        ) as team,
        coalesce(
            arg_max(deployments.tenant_id, deployments.finished_at)
                filter (where deployments.finished_at <= incidents.triggered_at),
            arg_min(deployments.tenant_id, deployments.finished_at)
        ) as tenant_id
    from incidents
    inner join deployments on incidents.service = deployments.service
    group by incidents.incident_id

),

attributed as (

    select
        incidents.incident_id,
        incidents.tenant_id as incident_tenant_id,
        coalesce(causing.tenant_id, service_owners.tenant_id) as tenant_id,
        coalesce(causing.team, service_owners.team) as team,
        case
            when causing.deployment_id is not null then 'causing_deployment'
            when service_owners.team is not null then 'service_owner'
        end as attributed_by,
        incidents.service,
        incidents.severity,
        incidents.caused_by_deployment_id,
        causing.finished_at as deployment_finished_at,
        incidents.triggered_at,
        incidents.acknowledged_at,
        incidents.resolved_at
    from incidents
    left join deployments as causing on incidents.caused_by_deployment_id = causing.deployment_id
    left join service_owners on incidents.incident_id = service_owners.incident_id

)

select
    *,
    caused_by_deployment_id is not null as is_change_induced,
    date_diff('second', triggered_at, resolved_at) / 3600.0 as hours_to_restore,
    date_diff('second', deployment_finished_at, resolved_at) / 3600.0 as hours_to_recover_from_deployment
from attributed
