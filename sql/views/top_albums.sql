-- One row per user × time range × day × rank of albums derived from that day's top tracks.
create or replace view top_albums as
select user_id, time_range, day, rank, album_id, name, album_type, artist_names, score, top_tracks,
       best_track_rank, scored_by, day = max(day) over (partition by user_id, time_range) as latest, read_at
from marts.top_albums;
