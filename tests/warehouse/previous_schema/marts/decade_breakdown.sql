-- Per user and release decade: how many library tracks (liked now or in a playlist) and liked tracks.
-- deps: raw.liked_songs, raw.playlist_items, raw.tracks, raw.albums
with library_tracks as (
    select user_id, track_id, true as liked from raw.liked_songs where unliked_at is null
    union all
    select user_id, track_id, false as liked from raw.playlist_items where item_type = 'track' and track_id is not null
),
per_track as (
    select user_id, track_id, bool_or(liked) as liked from library_tracks group by all
)
select p.user_id,
       (a.release_year // 10 * 10)::integer as decade,
       any_value((a.release_year // 10 * 10)::varchar || 's') as decade_label,
       count(*) as tracks,
       count(*) filter (where p.liked) as liked_tracks,
       round(count(*) / sum(count(*)) over (partition by p.user_id), 4) as share
from per_track p
join raw.tracks t on t.user_id = p.user_id and t.track_id = p.track_id
join raw.albums a on a.user_id = t.user_id and a.album_id = t.album_id
where a.release_year is not null
group by p.user_id, decade
