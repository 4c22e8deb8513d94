create or replace view lastfm_artists as
select artist_key, artist, listeners, playcount, tags, status, source, fetched_at, expires_at
from enrich.lastfm_artists;
