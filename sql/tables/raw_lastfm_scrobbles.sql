-- One row per Last.fm scrobble of the user's configured Last.fm account (user.getRecentTracks).
create table if not exists raw.lastfm_scrobbles (
    user_id varchar not null,
    lastfm_user varchar,
    started_at timestamp not null,   -- Last.fm stamps a scrobble with the start of the play
    track_name varchar,
    artist_name varchar,
    album_name varchar,
    read_at timestamp
);
