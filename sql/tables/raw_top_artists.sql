-- One row per user × time range × UTC day × rank: the user's top artists (GET /v1/me/top/artists) as
-- read that day, every day kept.
create table if not exists raw.top_artists (
    user_id varchar not null,
    time_range varchar not null,     -- short_term (~4 weeks), medium_term (~6 months), long_term (~1 year)
    day date not null,               -- the UTC day of the read
    rank integer not null,           -- 1 = the top artist
    artist_id varchar not null,
    name varchar,
    genres varchar[],                -- empty in development mode
    popularity integer,              -- null in development mode
    read_at timestamp not null
);
