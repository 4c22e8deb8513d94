-- Per user and genre: library tracks whose artists carry the genre (Spotify artist genres, extended access).
-- deps: raw.liked_songs, raw.playlist_items, raw.tracks, raw.artists
with library_tracks as (
    select user_id, track_id from raw.liked_songs where unliked_at is null
    union
    select user_id, track_id from raw.playlist_items where item_type = 'track' and track_id is not null
),
track_genres as (
    select distinct l.user_id, l.track_id, lower(g.genre) as genre
    from library_tracks l
    join (select user_id, track_id, unnest(artist_ids) as artist_id from raw.tracks) ta
      on ta.user_id = l.user_id and ta.track_id = l.track_id
    join (select user_id, artist_id, unnest(genres) as genre from raw.artists) g
      on g.user_id = ta.user_id and g.artist_id = ta.artist_id
)
select user_id,
       genre,
       'spotify' as source,
       count(*) as tracks,
       round(count(*) / (select count(*) from library_tracks lt where lt.user_id = tg.user_id), 4) as share
from track_genres tg
group by user_id, genre
