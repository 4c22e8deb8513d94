create or replace view deezer_tracks as
select isrc, deezer_id, bpm, bpm_raw, bpm_flag, gain, rank, release_date, status, source, fetched_at, expires_at
from enrich.deezer_tracks;
