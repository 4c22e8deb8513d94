-- One row per user × time range × day × rank; `latest` marks the newest day read for that range.
create or replace view top_artists as
select user_id, time_range, day, rank, artist_id, name, genres, popularity,
       day = max(day) over (partition by user_id, time_range) as latest, read_at
from raw.top_artists;
