create or replace view musicbrainz_genres as
select genre, status, source, fetched_at, expires_at
from enrich.musicbrainz_genres;
