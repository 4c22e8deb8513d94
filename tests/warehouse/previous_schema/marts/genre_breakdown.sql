-- Per user and genre: library tracks whose artists carry it, from Spotify genres (extended access) and Last.fm artist tags.
-- deps: raw.liked_songs, raw.playlist_items, raw.tracks, raw.artists, enrich.lastfm_artists
with library_tracks as (
    select user_id, track_id from raw.liked_songs where unliked_at is null
    union
    select user_id, track_id from raw.playlist_items where item_type = 'track' and track_id is not null
),
track_artists as (
    select user_id, track_id, unnest(artist_ids) as artist_id, unnest(artist_names) as artist_name from raw.tracks
),
spotify_genres as (
    select user_id, artist_id, lower(unnest(genres)) as genre from raw.artists
),
-- Last.fm tags by the artist's name as Last.fm spells it (its autocorrect keeps canonical names)
lastfm_tags as (
    select lower(strip_accents(artist)) as artist_name, lower(unnest(tags)) as genre
    from enrich.lastfm_artists
    where status = 'hit'
),
track_genres as (
    select l.user_id, l.track_id, g.genre, 'spotify' as source
    from library_tracks l
    join track_artists ta on ta.user_id = l.user_id and ta.track_id = l.track_id
    join spotify_genres g on g.user_id = ta.user_id and g.artist_id = ta.artist_id
    union
    select l.user_id, l.track_id, t.genre, 'lastfm' as source
    from library_tracks l
    join track_artists ta on ta.user_id = l.user_id and ta.track_id = l.track_id
    join lastfm_tags t on t.artist_name = lower(strip_accents(ta.artist_name))
),
library_sizes as (
    select user_id, count(*) as library_tracks from library_tracks group by user_id
)
select tg.user_id,
       tg.genre,
       tg.source,
       count(*) as tracks,
       round(count(*) / any_value(s.library_tracks), 4) as share
from track_genres tg
join library_sizes s using (user_id)
group by tg.user_id, tg.genre, tg.source
