-- Catalog tracks seen in the user's library, from the inline objects.
create table if not exists raw.tracks (
    user_id varchar not null,
    track_id varchar not null,
    uri varchar,
    name varchar,
    album_id varchar,
    artist_ids varchar[],
    artist_names varchar[],
    duration_ms bigint,
    explicit boolean,
    isrc varchar,
    track_number integer,
    disc_number integer,
    is_playable boolean,
    popularity integer           -- extended access only
);
