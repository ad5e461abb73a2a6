-- One row per pull request from its webhook events. A PR is approved by someone other than its author when an
-- `approved` event before the merge names a reviewer different from the author (pseudonyms of the same key, so
-- equal ids mean the same person). Its commits are those of its merge event; GitHub's merge events carry none, so
-- a PR merged without them takes the commits pushed to its repository and head branch after the previous merge
-- from that branch and at or before its own (each sha once, from its first push), in commit time order.
with

events as (

    select * from {{ ref('stg_silver__pull_request_events') }}

),

pushes as (

    select * from {{ ref('stg_silver__pushes') }}

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
        arg_max(events.branch, events.occurred_at) as branch,
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

),

-- every merge from a branch bounds the pushes of the next one from the same branch
branch_merges as (

    select
        tenant_id,
        pr_id,
        repository,
        branch,
        merged_at,
        lag(merged_at) over (
            partition by tenant_id, repository, branch order by merged_at, pr_id
        ) as previous_merge_at
    from rolled_up
    where merged_at is not null and branch is not null

),

pushed_commits as (

    select
        branch_merges.tenant_id,
        branch_merges.pr_id,
        pushes.occurred_at as pushed_at,
        listed.commit_entry.sha as sha,
        listed.commit_entry.committed_at as committed_at,
        listed.commit_entry.author_id as author_id
    from branch_merges
    inner join rolled_up
        on branch_merges.tenant_id = rolled_up.tenant_id
        and branch_merges.pr_id = rolled_up.pr_id
    inner join pushes
        on branch_merges.tenant_id = pushes.tenant_id
        and branch_merges.repository = pushes.repository
        and branch_merges.branch = pushes.branch
        and pushes.occurred_at <= branch_merges.merged_at
        and (branch_merges.previous_merge_at is null or pushes.occurred_at > branch_merges.previous_merge_at)
    cross join unnest(
        from_json(pushes.commits, '[{"sha": "VARCHAR", "committed_at": "VARCHAR", "author_id": "VARCHAR"}]')
    ) as listed (commit_entry)
    where rolled_up.commits is null

),

first_pushed as (

    select tenant_id, pr_id, sha, committed_at, author_id
    from pushed_commits
    qualify row_number() over (partition by tenant_id, pr_id, sha order by pushed_at) = 1

),

pushed as (

    select
        tenant_id,
        pr_id,
        to_json(
            list(
                {'sha': sha, 'committed_at': committed_at, 'author_id': author_id}
                order by cast(committed_at as timestamptz), sha
            )
        ) as commits
    from first_pushed
    group by tenant_id, pr_id

)

select
    rolled_up.tenant_id,
    rolled_up.pr_id,
    rolled_up.repository,
    rolled_up.branch,
    rolled_up.art,
    rolled_up.team,
    rolled_up.author_id,
    rolled_up.opened_at,
    rolled_up.merged_at,
    rolled_up.closed_at,
    rolled_up.merged_event_id,
    rolled_up.merge_commit_sha,
    coalesce(rolled_up.commits, pushed.commits) as commits,
    rolled_up.first_independent_approval_at,
    rolled_up.independent_approval_event_id,
    rolled_up.approvals,
    rolled_up.merged_at is not null as is_merged,
    rolled_up.first_independent_approval_at is not null as is_independently_approved
from rolled_up
left join pushed
    on rolled_up.tenant_id = pushed.tenant_id
    and rolled_up.pr_id = pushed.pr_id
