-- One row per push of one child playlist to Spotify (status, counts and what the plan did).
create table if not exists ops.sync_events (
    id varchar not null,
    user_id varchar not null,
    base_source varchar,            -- where the child playlist's tracks come from (its rule's source)
    child_playlist varchar not null,
    child_playlist_ids varchar,     -- JSON array of the Spotify playlist ids pushed (one per part)
    status varchar not null,        -- in_progress | completed | failed | skipped
    started_at timestamp not null,
    completed_at timestamp,
    error_message varchar,
    tracks_processed integer default 0,
    api_requests integer default 0, -- every Spotify request of this push, reads included
    write_requests integer default 0,
    adds integer default 0,
    removes integer default 0,
    moves integer default 0,
    replace_requests integer default 0,   -- what wipe-and-replace would have cost
    requests_saved integer default 0,     -- replace_requests minus the write requests sent
    strategy varchar,               -- noop | append | diff | replace (of the first plan)
    dry_run boolean default false,
    plan varchar,                   -- JSON: the planned steps, stored for dry runs and audits
    run_id varchar,
    unpushable integer default 0,   -- tracks left out of the push (local files, anything not a Spotify uri)
    uncertain_writes integer default 0,  -- writes whose answer was lost (applied or not), then re-read
    applied varchar,                -- JSON: every write request sent, in order, with its outcome
    created timestamp not null,
    updated timestamp not null
);
