-- Sync state per user × source (liked_songs, or playlist_items × playlist): where a run stopped and how far it got.
create table if not exists raw.sync_cursors (
    user_id varchar not null,
    source varchar not null,         -- liked_songs | playlist_items
    key varchar not null,            -- '' for liked_songs, the playlist id for playlist_items
    snapshot_id varchar,             -- playlist_items: the snapshot being read
    next_offset integer,             -- the next page to read (null when complete)
    total integer,                   -- the source's total at the last page read
    anchor_track_id varchar,         -- liked_songs: the newest entry held
    anchor_added_at timestamp,
    pages_done integer,
    pages_total integer,
    complete boolean,
    last_full_sync_at timestamp,     -- liked_songs: when a full read last completed
    progress varchar,                -- "N of M pages fetched, expected done by DATE at the current budget"
    updated_at timestamp
);
