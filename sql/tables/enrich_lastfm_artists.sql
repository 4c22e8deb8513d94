-- Last.fm artist.getInfo (autocorrect) per distinct normalised artist; its tags serve as genres.
create table if not exists enrich.lastfm_artists (
    artist_key varchar not null,
    artist varchar,
    listeners bigint,
    playcount bigint,
    tags varchar[],
    status varchar not null,
    source varchar not null,
    fetched_at timestamp not null,
    expires_at timestamp not null,
    misses integer               -- misses in a row (0 after a hit): how long the next miss is trusted
);
