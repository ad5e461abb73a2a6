{%- set operator_tenant = var('operator_tenant') -%}
-- One row per incident, attributed to the deploying tenant and team that DORA reports it under. Incidents carry
-- the most affected customer tenant; DORA is about the engineering organisation that shipped the change, so:
--   1. a change-induced incident goes to the team (and tenant) of the production deployment that caused it;
--   2. any other incident, or one whose causing deployment predates the lake, goes to the service's owner: the
--      team of the service's latest production deployment finished at or before the trigger (ownership as it
--      was then), else of its first production deployment after it (the service had not been deployed yet).
-- Incidents of a service never deployed to production in the lake stay unattributed (null team).
-- Deployment ids and service names are unique within a tenant only, and an incident does not say whose
-- deployment it names. A tenant that deploys runs its own trackers and names its own; other tenants' incidents
-- are on the operator's platform. So both lookups take the incident's own tenant's deployments when it has that
-- id (or service), else the operator's. This is the one place incidents meet deployments:
-- int_production_deployments_joined_to_incidents counts the incidents attributed here by cause.
with

incidents as (

    select * from {{ ref('int_incidents_rolled_up') }}

),

deployments as (

    select
        tenant_id,
        deployment_id,
        team,
        service,
        occurred_at as finished_at
    from {{ ref('stg_silver__deployments') }}
    where environment = 'production'

),

-- the deployment the incident names: its own tenant's, else the operator's
causing as (

    select
        incidents.tenant_id as incident_tenant_id,
        incidents.incident_id,
        deployments.tenant_id,
        deployments.deployment_id,
        deployments.team,
        deployments.finished_at
    from incidents
    inner join deployments
        on incidents.caused_by_deployment_id = deployments.deployment_id
        and deployments.tenant_id in (incidents.tenant_id, '{{ operator_tenant }}')
    qualify row_number() over (
        partition by incidents.tenant_id, incidents.incident_id
        order by deployments.tenant_id = incidents.tenant_id desc
    ) = 1

),

-- the deployments of the incident's service in the tenant that owns it: its own tenant's, else the operator's
service_deployments as (

    select
        incidents.tenant_id as incident_tenant_id,
        incidents.incident_id,
        incidents.triggered_at,
        deployments.tenant_id,
        deployments.team,
        deployments.finished_at
    from incidents
    inner join deployments
        on incidents.service = deployments.service
        and deployments.tenant_id in (incidents.tenant_id, '{{ operator_tenant }}')
    qualify deployments.tenant_id = incidents.tenant_id
        or not bool_or(deployments.tenant_id = incidents.tenant_id) over (
            partition by incidents.tenant_id, incidents.incident_id
        )

),

service_owners as (

    select
        incident_tenant_id,
        incident_id,
        coalesce(
            arg_max(team, finished_at) filter (where finished_at <= triggered_at),
            arg_min(team, finished_at)
        ) as team,
        any_value(tenant_id) as tenant_id  -- one owning tenant per incident (above)
    from service_deployments
    group by incident_tenant_id, incident_id

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
    left join causing
        on incidents.tenant_id = causing.incident_tenant_id
        and incidents.incident_id = causing.incident_id
    left join service_owners
        on incidents.tenant_id = service_owners.incident_tenant_id
        and incidents.incident_id = service_owners.incident_id

)

select
    *,
    caused_by_deployment_id is not null as is_change_induced,
    date_diff('second', triggered_at, resolved_at) / 3600.0 as hours_to_restore,
    date_diff('second', deployment_finished_at, resolved_at) / 3600.0 as hours_to_recover_from_deployment
from attributed
