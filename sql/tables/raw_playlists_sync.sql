-- The /me/playlists listing of each user: whether the last listing completed and how many pages it took.
create table if not exists raw.playlists_sync (
    user_id varchar not null,
    source varchar not null,         -- always 'playlists'
    key varchar not null,            -- always ''
    snapshot_id varchar,
    next_offset integer,
    total integer,                   -- playlists listed
    anchor_track_id varchar,
    anchor_added_at timestamp,
    pages_done integer,
    pages_total integer,
    complete boolean,
    last_full_sync_at timestamp,
    progress varchar,
    updated_at timestamp
);
