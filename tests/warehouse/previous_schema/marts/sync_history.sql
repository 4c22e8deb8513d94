-- Per user and child playlist: how its pushes to Spotify went, and what diffing saved over wipe-and-replace.
-- deps: ops.sync_events
select user_id,
       child_playlist,
       count(*) as pushes,
       count(*) filter (where status = 'completed') as completed,
       count(*) filter (where status = 'failed') as failed,
       count(*) filter (where status = 'skipped') as skipped,
       count(*) filter (where dry_run) as dry_runs,
       sum(adds)::bigint as adds,
       sum(removes)::bigint as removes,
       sum(moves)::bigint as moves,
       sum(write_requests)::bigint as write_requests,
       sum(requests_saved)::bigint as requests_saved,
       min(started_at) as first_push_at,
       max(started_at) as last_push_at,
       arg_max(status, started_at) as last_status,
       arg_max(error_message, started_at) as last_error
from ops.sync_events
group by user_id, child_playlist
