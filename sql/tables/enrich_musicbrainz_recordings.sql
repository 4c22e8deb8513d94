-- MusicBrainz recording for catalog tracks without an ISRC, by normalised artist + title.
create table if not exists enrich.musicbrainz_recordings (
    lookup_key varchar not null,  -- '<normalised artist>|<normalised title>'
    isrc varchar,                 -- the ISRC MusicBrainz knows for the recording (feeds Deezer)
    recording_id varchar,
    title varchar,
    artist varchar,
    length_ms bigint,
    genres varchar[],
    status varchar not null,
    source varchar not null,
    fetched_at timestamp not null,
    expires_at timestamp not null,
    misses integer               -- misses in a row (0 after a hit): how long the next miss is trusted
);
