create table if not exists raw.albums (
    user_id varchar not null,
    album_id varchar not null,
    name varchar,
    album_type varchar,
    release_date varchar,        -- as Spotify gives it: 1969, 1969-09 or 1969-09-26
    release_date_precision varchar,
    release_year integer,
    label varchar,               -- extended access only
    total_tracks integer,
    artist_ids varchar[],
    popularity integer           -- extended access only
);
