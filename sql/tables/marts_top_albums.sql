-- One row per user × time range × UTC day × rank: albums ranked from that day's top tracks
-- (assets/listening/top_logic.py: singles left out; each track weighs by its rank, and by its
-- popularity where Spotify gives it).
create table if not exists marts.top_albums (
    user_id varchar not null,
    time_range varchar not null,
    day date not null,
    rank integer not null,           -- 1 = the top album
    album_id varchar not null,
    name varchar,
    album_type varchar,
    artist_names varchar[],          -- the artists of its best-ranked top track
    score double,
    top_tracks integer,              -- how many of its tracks are in that day's top tracks
    best_track_rank integer,
    scored_by varchar,               -- rank, or rank_and_popularity
    read_at timestamp                -- when the top tracks it comes from were read
);
