-- One row per music play in the user's Extended Streaming History export files. Only these fields are
-- kept: the export's IP address, user agent, platform and country are dropped when a file is parsed.
create table if not exists raw.streaming_history (
    user_id varchar not null,
    played_at timestamp not null,    -- the export's ts: when the play ended
    ms_played integer,
    track_id varchar,                -- from spotify_track_uri
    track_name varchar,
    artist_name varchar,             -- master_metadata_album_artist_name
    album_name varchar,
    reason_start varchar,
    reason_end varchar,
    shuffle boolean,
    skipped boolean,
    offline boolean,
    file_name varchar,               -- the export file it was first found in
    imported_at timestamp
);
