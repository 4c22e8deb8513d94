-- Pages of playlists whose read was cut short, kept with the snapshot they belong to.
create table if not exists raw.playlist_items_staging (
    user_id varchar not null,
    playlist_id varchar not null,
    snapshot_id varchar not null,
    position integer not null,
    item_type varchar not null,
    track_id varchar,
    episode_id varchar,
    uri varchar,
    name varchar,
    added_at timestamp,
    added_by varchar,
    is_local boolean,
    local_name varchar,
    local_artist varchar,
    local_album varchar,
    duration_ms bigint
);
