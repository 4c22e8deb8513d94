create table if not exists raw.artists (
    user_id varchar not null,
    artist_id varchar not null,
    name varchar,
    genres varchar[],            -- extended access only
    popularity integer,          -- extended access only
    followers bigint             -- extended access only
);
