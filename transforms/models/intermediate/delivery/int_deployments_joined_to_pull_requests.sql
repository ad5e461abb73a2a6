-- One row per (deployment, pull request it ships). A deployment with no pull requests (a redeploy or rollback)
-- has no rows here; it still counts as a deployment in the marts, which read stg_silver__deployments.
with

deployments as (

    select * from {{ ref('stg_silver__deployments') }}

),

unnested as (

    select
        tenant_id,
        deployment_id,
        team,
        service,
        environment,
        deployment_status,
        started_at,
        occurred_at as finished_at,
        unnest(from_json(pr_ids, '["VARCHAR"]')) as pr_id
    from deployments

)

select * from unnested
