-- One row per production deployment attempt, successful or failed, with the incidents it caused. Failed attempts
-- stay in: a pipeline run that failed half-way can still break production (the generator's partial rollouts do),
-- and dropping it would hide a change failure. Only successful attempts count as deployments.
with

deployments as (

    select * from {{ ref('stg_silver__deployments') }}
    where environment = 'production'

),

-- incidents carry the affected customer's tenant, not the deploying one: int_incidents_attributed_to_teams
-- finds the deployment each one names, and its tenant_id is the deploying tenant
incidents as (

    select * from {{ ref('int_incidents_attributed_to_teams') }}
    where attributed_by = 'causing_deployment'

),

-- an incident id is unique within its tenant only, so each is listed as `<tenant>:<incident id>`
caused as (

    select
        tenant_id,
        caused_by_deployment_id as deployment_id,
        count(*) as incidents_caused,
        list(incident_tenant_id || ':' || incident_id order by incident_tenant_id, incident_id) as incident_ids
    from incidents
    group by tenant_id, caused_by_deployment_id

)

select
    deployments.tenant_id,
    deployments.deployment_id,
    deployments.team,
    deployments.service,
    deployments.repository,
    deployments.deployment_status,
    deployments.started_at,
    deployments.occurred_at as finished_at,
    deployments.deployment_status = 'success' as is_successful,
    coalesce(caused.incidents_caused, 0) as incidents_caused,
    coalesce(caused.incident_ids, cast([] as varchar [])) as caused_incident_ids,
    caused.deployment_id is not null as is_change_failure
from deployments
left join caused
    on deployments.tenant_id = caused.tenant_id
    and deployments.deployment_id = caused.deployment_id
