-- One row per user × time range × day × rank; `latest` marks the newest day read for that range.
create or replace view top_tracks as
select user_id, time_range, day, rank, track_id, name, artist_ids, artist_names, album_id, album_name, album_type,
       popularity, day = max(day) over (partition by user_id, time_range) as latest, read_at
from raw.top_tracks;
