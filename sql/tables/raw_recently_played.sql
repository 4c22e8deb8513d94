-- One row per play read from /me/player/recently-played (Spotify keeps a user's last 50 only).
create table if not exists raw.recently_played (
    user_id varchar not null,
    played_at timestamp not null,    -- as Spotify stamps it: when the play ended
    track_id varchar,
    track_name varchar,
    artist_name varchar,             -- the first artist
    album_name varchar,
    duration_ms integer,             -- the track's length (recently-played says nothing of how long it played)
    context_uri varchar,             -- playlist, album or artist it was played from, when Spotify says
    polled_at timestamp
);
