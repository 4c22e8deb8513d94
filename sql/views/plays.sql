create or replace view plays as
select user_id, played_at, track_id, track_name, artist_name, album_name, ms_played, source, skipped
from marts.plays;
