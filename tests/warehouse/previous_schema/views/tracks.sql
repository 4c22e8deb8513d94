-- One row per catalog track, whichever users have it.
create or replace view tracks as
select t.track_id, any_value(t.uri) as uri, any_value(t.name) as name, any_value(t.isrc) as isrc,
       any_value(t.duration_ms) as duration_ms, any_value(t.explicit) as explicit,
       any_value(t.track_number) as track_number, any_value(t.disc_number) as disc_number,
       any_value(t.is_playable) as is_playable, max(t.popularity) as popularity,
       any_value(t.album_id) as album_id, any_value(t.artist_ids) as artist_ids,
       any_value(t.artist_names) as artist_names,
       any_value(a.release_date) as release_date, any_value(a.release_year) as release_year
from raw.tracks t
left join raw.albums a on a.user_id = t.user_id and a.album_id = t.album_id
group by t.track_id;
