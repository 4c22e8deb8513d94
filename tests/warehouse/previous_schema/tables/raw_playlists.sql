-- One row per user × playlist in the user's /me/playlists.
create table if not exists raw.playlists (
    user_id varchar not null,
    playlist_id varchar not null,
    name varchar,
    owner_id varchar,
    owner_name varchar,
    snapshot_id varchar,
    collaborative boolean,
    public boolean,
    description varchar,
    items_total integer,
    list_position integer,       -- order in /me/playlists
    readable boolean,            -- the user owns or collaborates: items can be read
    unreadable_reason varchar,
    managed boolean,             -- created and maintained by mixtape
    items_snapshot_id varchar,   -- snapshot at which raw.playlist_items was last read
    fetched_at timestamp
);
