create or replace view albums as
select album_id, any_value(name) as name, any_value(album_type) as album_type,
       any_value(release_date) as release_date, any_value(release_date_precision) as release_date_precision,
       any_value(release_year) as release_year, any_value(total_tracks) as total_tracks,
       any_value(artist_ids) as artist_ids, any_value(label) as label, max(popularity) as popularity
from raw.albums
group by album_id;
