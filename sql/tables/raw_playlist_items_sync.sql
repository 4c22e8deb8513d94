-- The items read of each user's playlists: one row per playlist read (complete, at `snapshot_id`), being
-- read (a cut-short read resumes at `next_offset`) or refused by Spotify (`refused` says why).
create table if not exists raw.playlist_items_sync (
    user_id varchar not null,
    source varchar not null,         -- always 'playlist_items'
    key varchar not null,            -- the playlist id
    snapshot_id varchar,             -- the snapshot read (complete) or being read
    next_offset integer,             -- the next item to read (null when complete)
    total integer,                   -- the playlist's item total at the last page read
    anchor_track_id varchar,
    anchor_added_at timestamp,
    pages_done integer,
    pages_total integer,
    complete boolean,
    last_full_sync_at timestamp,
    progress varchar,                -- "N of M pages fetched, expected done by DATE at the current budget"
    updated_at timestamp,
    refused varchar                  -- Spotify refused the read (403/404) at this snapshot: why
);
