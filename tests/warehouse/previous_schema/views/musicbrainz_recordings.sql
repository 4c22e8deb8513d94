create or replace view musicbrainz_recordings as
select lookup_key, isrc, recording_id, title, artist, length_ms, genres, status, source, fetched_at, expires_at
from enrich.musicbrainz_recordings;
