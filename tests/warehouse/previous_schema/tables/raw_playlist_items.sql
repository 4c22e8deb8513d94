-- One row per user × readable playlist × position, faithfully: local files, episodes, gone tracks, duplicates.
create table if not exists raw.playlist_items (
    user_id varchar not null,
    playlist_id varchar not null,
    position integer not null,
    item_type varchar not null,  -- track | episode | local | unavailable
    track_id varchar,            -- catalog tracks only
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
