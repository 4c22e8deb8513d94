-- Last.fm track.getInfo (autocorrect) by normalised primary artist + title, shared across users.
create table if not exists enrich.lastfm_tracks (
    artist_key varchar not null,  -- assets.normalise.normalise(artist)
    track_key varchar not null,   -- assets.normalise.normalise(title)
    artist varchar,               -- the names Last.fm corrected to
    track varchar,
    listeners bigint,
    playcount bigint,
    tags varchar[],
    status varchar not null,
    source varchar not null,
    fetched_at timestamp not null,
    expires_at timestamp not null,
    misses integer               -- misses in a row (0 after a hit): how long the next miss is trusted
);
