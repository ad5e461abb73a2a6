-- One row per pull request from its webhook events. A PR is approved by someone other than its author when an
-- `approved` event before the merge names a reviewer different from the author (pseudonyms of the same key, so
-- equal ids mean the same person).
with

events as (

    select * from {{ ref('stg_silver__pull_request_events') }}

),

merges as (

    select tenant_id, pr_id, min(occurred_at) as merged_at
    from events
    where pr_action = 'merged'
    group by tenant_id, pr_id

),

rolled_up as (

    select
        events.tenant_id,
        events.pr_id,
        arg_max(events.repository, events.occurred_at) as repository,
        arg_max(events.art, events.occurred_at) as art,
        arg_max(events.team, events.occurred_at) as team,
        arg_max(events.author_id, events.occurred_at) as author_id,
        min(events.occurred_at) filter (where events.pr_action = 'opened') as opened_at,
        any_value(merges.merged_at) as merged_at,
        min(events.occurred_at) filter (where events.pr_action = 'closed') as closed_at,
        arg_min(events.event_id, events.occurred_at) filter (where events.pr_action = 'merged') as merged_event_id,
        arg_min(events.merge_commit_sha, events.occurred_at) filter (where events.pr_action = 'merged')
            as merge_commit_sha,
        arg_min(events.commits, events.occurred_at) filter (where events.pr_action = 'merged') as commits,
        min(events.occurred_at) filter (
            where events.pr_action = 'approved'
            and events.reviewer_id <> events.author_id  -- an approval naming no reviewer is not independent
            and (merges.merged_at is null or events.occurred_at <= merges.merged_at)
        ) as first_independent_approval_at,
        arg_min(events.event_id, events.occurred_at) filter (
            where events.pr_action = 'approved'
            and events.reviewer_id <> events.author_id
            and (merges.merged_at is null or events.occurred_at <= merges.merged_at)
        ) as independent_approval_event_id,
        count(*) filter (where events.pr_action = 'approved') as approvals

    from events
    left join merges
        on events.tenant_id = merges.tenant_id
        and events.pr_id = merges.pr_id
    group by events.tenant_id, events.pr_id

)

select
    *,
    merged_at is not null as is_merged,
    first_independent_approval_at is not null as is_independently_approved
from rolled_up
