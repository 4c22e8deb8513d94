-- One row per user: the size and shape of the library at a glance.
-- deps: raw.liked_songs, raw.playlists, raw.playlist_items, raw.tracks, raw.albums
with liked as (
    select user_id,
           count(*) filter (where unliked_at is null) as liked_tracks,
           count(*) as ever_liked_tracks,
           min(coalesce(first_liked_at, liked_at)) as first_like_at,
           max(liked_at) as last_like_at
    from raw.liked_songs
    group by user_id
),
lists as (
    select user_id,
           count(*) as playlists,
           count(*) filter (where readable) as readable_playlists,
           count(*) filter (where managed) as managed_playlists
    from raw.playlists
    group by user_id
),
items as (
    select user_id,
           count(*) as playlist_items,
           count(*) filter (where item_type = 'local') as local_files,
           count(*) filter (where item_type = 'episode') as episodes,
           count(*) filter (where item_type = 'unavailable') as unavailable_items
    from raw.playlist_items
    group by user_id
),
library_tracks as (  -- tracks liked now or in a readable playlist
    select user_id, track_id from raw.liked_songs where unliked_at is null
    union
    select user_id, track_id from raw.playlist_items where item_type = 'track' and track_id is not null
),
catalog as (
    select l.user_id,
           count(*) as library_tracks,
           count(distinct a.artist_id) as artists,
           count(distinct t.album_id) as albums,
           round(sum(t.duration_ms) / 3600000.0, 1) as hours,
           round(avg(al.release_year), 0)::integer as mean_release_year
    from library_tracks l
    left join raw.tracks t on t.user_id = l.user_id and t.track_id = l.track_id
    left join raw.albums al on al.user_id = t.user_id and al.album_id = t.album_id
    left join (select user_id, track_id, unnest(artist_ids) as artist_id from raw.tracks) a
           on a.user_id = l.user_id and a.track_id = l.track_id
    group by l.user_id
),
users as (
    select user_id from liked union select user_id from lists
)
select u.user_id,
       coalesce(liked.liked_tracks, 0) as liked_tracks,
       coalesce(liked.ever_liked_tracks, 0) as ever_liked_tracks,
       coalesce(lists.playlists, 0) as playlists,
       coalesce(lists.readable_playlists, 0) as readable_playlists,
       coalesce(lists.managed_playlists, 0) as managed_playlists,
       coalesce(items.playlist_items, 0) as playlist_items,
       coalesce(items.local_files, 0) as local_files,
       coalesce(items.episodes, 0) as episodes,
       coalesce(items.unavailable_items, 0) as unavailable_items,
       coalesce(catalog.library_tracks, 0) as library_tracks,
       coalesce(catalog.artists, 0) as artists,
       coalesce(catalog.albums, 0) as albums,
       coalesce(catalog.hours, 0) as hours,
       catalog.mean_release_year,
       liked.first_like_at,
       liked.last_like_at
from users u
left join liked using (user_id)
left join lists using (user_id)
left join items using (user_id)
left join catalog using (user_id)
