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
    readable boolean,            -- by the listing: the user owns or collaborates, or the app has extended access
    unreadable_reason varchar,
    fetched_at timestamp
);
