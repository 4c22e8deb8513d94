create or replace view lastfm_tracks as
select artist_key, track_key, artist, track, listeners, playcount, tags, status, source, fetched_at, expires_at
from enrich.lastfm_tracks;
