-- MusicBrainz's genre list (GET /ws/2/genre/all), one row per genre: what tells genres from mood and personal tags.
create table if not exists enrich.musicbrainz_genres (
    genre varchar not null,       -- as MusicBrainz spells it (lower case)
    status varchar not null,      -- 'hit': the list is read whole or not at all
    source varchar not null,
    fetched_at timestamp not null,
    expires_at timestamp not null  -- the same for every row: the list is asked again as a whole
);
