-- Every track the user's child-playlist rules `include`, with its fields: copied from the user's inline track objects (inline), fetched once from GET /v1/tracks/{id} or copied from any user's row (fetched), or none (unavailable: Spotify answered 404). marts.track_features reads it.
create table if not exists raw.included_tracks (
    user_id varchar not null,
    track_id varchar not null,
    status varchar not null,     -- inline | fetched | unavailable
    child_playlists varchar[],   -- the user's child playlists whose rules include it
    uri varchar,
    name varchar,
    duration_ms bigint,
    explicit boolean,
    isrc varchar,
    track_number integer,
    disc_number integer,
    is_playable boolean,
    popularity integer,
    artist_ids varchar[],
    artist_names varchar[],
    album_id varchar,
    album_name varchar,
    album_type varchar,
    album_release_date varchar,
    album_release_date_precision varchar,
    album_total_tracks integer,
    album_label varchar,
    album_popularity integer,
    album_artist_ids varchar[],
    album_artist_names varchar[],
    fetched_at timestamp         -- when Spotify was asked (null for inline rows)
);
