-- One row per user × time range × UTC day × rank: the user's top tracks (GET /v1/me/top/tracks) as read
-- that day. Every day read is kept, so how a ranking moved is a query.
create table if not exists raw.top_tracks (
    user_id varchar not null,
    time_range varchar not null,     -- short_term (~4 weeks), medium_term (~6 months), long_term (~1 year)
    day date not null,               -- the UTC day of the read
    rank integer not null,           -- 1 = the top track
    track_id varchar not null,
    name varchar,
    artist_ids varchar[],
    artist_names varchar[],
    album_id varchar,
    album_name varchar,
    album_type varchar,
    popularity integer,              -- null in development mode
    read_at timestamp not null
);
