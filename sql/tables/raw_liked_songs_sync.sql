-- The liked-songs sync of each user: where a run stopped, how far it got, when the last full read completed.
create table if not exists raw.liked_songs_sync (
    user_id varchar not null,
    source varchar not null,         -- always 'liked_songs'
    key varchar not null,            -- always ''
    snapshot_id varchar,
    next_offset integer,             -- the next entry to read (null when complete)
    total integer,                   -- Liked Songs' total at the last page read
    anchor_track_id varchar,         -- the newest entry held
    anchor_added_at timestamp,
    pages_done integer,
    pages_total integer,
    complete boolean,
    last_full_sync_at timestamp,     -- when a full read last completed
    progress varchar,                -- "N of M pages fetched, expected done by DATE at the current budget"
    updated_at timestamp
);
