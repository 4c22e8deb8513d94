-- One row per user × track the user has (liked now, or in a readable playlist), and per track their rules `include` or their current top tracks hold that they do not have (in_library false), with every child-playlist rule field.
-- deps: raw.liked_songs, raw.playlists, raw.playlist_items, raw.tracks, raw.albums, raw.artists, raw.included_tracks, enrich.deezer_tracks, enrich.lastfm_tracks, enrich.lastfm_artists, enrich.musicbrainz_recordings, marts.name_keys, marts.plays, raw.top_tracks, raw.top_artists
with name_keys as (
    -- normalise(name) from Python (assets/normalise.py), once per name
    select name, min(key) as key from marts.name_keys group by name
),
liked as (
    select user_id, track_id, liked_at, coalesce(first_liked_at, liked_at) as first_liked_at
    from raw.liked_songs
    where unliked_at is null
),
items as (
    select i.user_id, i.playlist_id, p.name as playlist_name, i.track_id,
           case when i.track_id is not null then 'spotify:track:' || i.track_id else i.uri end as track_uri,
           i.added_at, i.item_type = 'local' as is_local,
           i.local_name, i.local_artist, i.local_album, i.duration_ms
    from raw.playlist_items i
    join raw.playlists p on p.user_id = i.user_id and p.playlist_id = i.playlist_id
    where i.item_type in ('track', 'local') and (i.track_id is not null or i.uri is not null)
      -- mixtape's own playlists for this user (their marker, assets/playlists/push.py) are rule output,
      -- not library: fed back, a pushed track would outlive its sources and the push date its added_at
      and not (p.owner_id = p.user_id and contains(coalesce(p.description, ''), '[mixtape:' || p.user_id || '/'))
),
membership as (
    select user_id, track_uri,
           any_value(track_id) as track_id,
           list_sort(list_distinct(list(playlist_id))) as in_playlist,
           list_sort(list_distinct(list(playlist_name))) as playlist_names,
           min(added_at) as first_added_at,
           bool_or(is_local) as is_local,
           any_value(local_name) as local_name,
           any_value(local_artist) as local_artist,
           any_value(local_album) as local_album,
           any_value(duration_ms) as local_duration_ms
    from items
    group by user_id, track_uri
),
library as (
    select coalesce(m.user_id, l.user_id) as user_id,
           coalesce(m.track_uri, 'spotify:track:' || l.track_id) as track_uri,
           coalesce(l.track_id, m.track_id) as track_id,
           l.track_id is not null as liked,
           l.liked_at,
           least(l.first_liked_at, m.first_added_at) as added_at,
           coalesce(m.in_playlist, []::varchar[]) as in_playlist,
           coalesce(m.playlist_names, []::varchar[]) as playlist_names,
           coalesce(m.is_local, false) as is_local,
           m.local_name, m.local_artist, m.local_album, m.local_duration_ms
    from membership m
    full outer join liked l on l.user_id = m.user_id and m.track_uri = 'spotify:track:' || l.track_id
),
included as (
    -- tracks the user's rules include that they do not have, with the fields fetched for them
    select i.*
    from raw.included_tracks i
    where i.status <> 'unavailable'
      and not exists (select 1 from library l where l.user_id = i.user_id and l.track_id = i.track_id)
),
latest_top_tracks as (
    -- the newest day read of each top-tracks range
    select * from raw.top_tracks
    qualify day = max(day) over (partition by user_id, time_range)
),
latest_top_artists as (
    select * from raw.top_artists
    qualify day = max(day) over (partition by user_id, time_range)
),
top_only as (
    -- current top tracks the user has not saved (and no rule includes): a {top: tracks} source reaches them
    select user_id, track_id, any_value(name) as name, any_value(album_id) as album_id,
           any_value(artist_ids) as artist_ids, any_value(artist_names) as artist_names,
           any_value(album_name) as album_name, any_value(album_type) as album_type,
           any_value(popularity) as popularity
    from latest_top_tracks t
    where not exists (select 1 from library l where l.user_id = t.user_id and l.track_id = t.track_id)
      and not exists (select 1 from included i where i.user_id = t.user_id and i.track_id = t.track_id)
    group by user_id, track_id
),
everything as (
    select *, true as in_library from library
    union all by name
    select user_id, 'spotify:track:' || track_id as track_uri, track_id, false as liked,
           []::varchar[] as in_playlist, []::varchar[] as playlist_names, false as is_local, false as in_library
    from (select user_id, track_id from included union all select user_id, track_id from top_only)
),
catalog as (
    -- the user's inline track objects; an included track they do not have, from its fetched object; a top
    -- track they do not have, from the top-tracks read (which has no length, ISRC or explicit flag)
    select user_id, track_id, name, album_id, artist_ids, artist_names, duration_ms, explicit, isrc,
           track_number, popularity
    from raw.tracks
    union all
    select user_id, track_id, name, album_id, artist_ids, artist_names, duration_ms, explicit, isrc,
           track_number, popularity
    from included i
    where not exists (select 1 from raw.tracks t where t.user_id = i.user_id and t.track_id = i.track_id)
    union all
    select user_id, track_id, name, album_id, artist_ids, artist_names, null, null, null, null, popularity
    from top_only o
    where not exists (select 1 from raw.tracks t where t.user_id = o.user_id and t.track_id = o.track_id)
),
album_catalog as (
    select user_id, album_id, name, album_type, release_date, release_year from raw.albums
    union all
    select user_id, album_id, any_value(album_name), any_value(album_type), any_value(album_release_date),
           try_cast(left(any_value(album_release_date), 4) as integer)
    from included i
    where album_id is not null
      and not exists (select 1 from raw.albums a where a.user_id = i.user_id and a.album_id = i.album_id)
    group by user_id, album_id
    union all
    select user_id, album_id, any_value(album_name), any_value(album_type), null, null
    from top_only o
    where album_id is not null
      and not exists (select 1 from raw.albums a where a.user_id = o.user_id and a.album_id = o.album_id)
      and not exists (select 1 from included i where i.user_id = o.user_id and i.album_id = o.album_id)
    group by user_id, album_id
),
track_by_names as (
    -- one track per user, artist and title, for plays only Last.fm saw (they name no track id)
    select user_id, lower(trim(artist_names[1])) as artist, lower(trim(name)) as title, min(track_id) as track_id
    from catalog
    group by all
),
play_rows as (
    select p.user_id, coalesce(p.track_id, n.track_id) as track_id, p.played_at, p.skipped
    from marts.plays p
    left join track_by_names n
           on p.track_id is null and n.user_id = p.user_id
          and n.artist = lower(trim(p.artist_name)) and n.title = lower(trim(p.track_name))
),
listening as (
    select user_id, track_id,
           count(*) as play_count,
           count(*) filter (where played_at >= (now() at time zone 'UTC') - interval 7 day) as plays_last_7d,
           count(*) filter (where played_at >= (now() at time zone 'UTC') - interval 30 day) as plays_last_30d,
           count(*) filter (where played_at >= (now() at time zone 'UTC') - interval 90 day) as plays_last_90d,
           count(*) filter (where played_at >= (now() at time zone 'UTC') - interval 365 day) as plays_last_365d,
           max(played_at) as last_played_at,
           avg(skipped::integer) as skip_rate  -- over the plays whose source says (null skips are left out)
    from play_rows
    where track_id is not null
    group by user_id, track_id
),
top_track_ranks as (
    select user_id, track_id,
           min(rank) filter (where time_range = 'short_term') as top_rank_short_term,
           min(rank) filter (where time_range = 'medium_term') as top_rank_medium_term,
           min(rank) filter (where time_range = 'long_term') as top_rank_long_term
    from latest_top_tracks
    group by user_id, track_id
),
top_artist_ranks as (
    -- the best rank among a track's credited artists
    select c.user_id, c.track_id,
           min(a.rank) filter (where a.time_range = 'short_term') as top_artist_rank_short_term,
           min(a.rank) filter (where a.time_range = 'medium_term') as top_artist_rank_medium_term,
           min(a.rank) filter (where a.time_range = 'long_term') as top_artist_rank_long_term
    from (select user_id, track_id, unnest(artist_ids) as artist_id from catalog) c
    join latest_top_artists a on a.user_id = c.user_id and a.artist_id = c.artist_id
    group by c.user_id, c.track_id
),
tracks as (
    select t.*, tk.key as title_key, ak.key as artist_key,
           mb.isrc as mb_isrc, mb.genres as mb_genres
    from catalog t
    left join name_keys tk on tk.name = t.name
    left join name_keys ak on ak.name = t.artist_names[1]
    left join enrich.musicbrainz_recordings mb
           on mb.lookup_key = ak.key || '|' || tk.key and mb.status = 'hit'
),
genre_rows as (
    -- Spotify artist genres (extended access) of every credited artist
    select t.user_id, t.track_id, lower(unnest(a.genres)) as genre
    from (select user_id, track_id, unnest(artist_ids) as artist_id from catalog) t
    join raw.artists a on a.user_id = t.user_id and a.artist_id = t.artist_id
    union all
    -- Last.fm tags of every credited artist
    select t.user_id, t.track_id, lower(unnest(la.tags)) as genre
    from (select user_id, track_id, unnest(artist_names) as artist_name from catalog) t
    join name_keys k on k.name = t.artist_name
    join enrich.lastfm_artists la on la.artist_key = k.key and la.status = 'hit'
    union all
    -- MusicBrainz recording genres
    select user_id, track_id, lower(unnest(mb_genres)) as genre from tracks
),
genres as (
    select user_id, track_id, list_sort(list_distinct(list(genre))) as genres
    from genre_rows
    where genre is not null and genre <> ''
    group by user_id, track_id
),
features as (
    select lib.user_id,
           lib.track_id,
           lib.track_uri,
           coalesce(t.name, lib.local_name) as title,
           coalesce(t.artist_names[1], lib.local_artist) as artist,
           coalesce(t.artist_names, case when lib.local_artist is not null then [lib.local_artist] end) as artists,
           coalesce(al.name, lib.local_album) as album,
           al.album_type,
           try_cast(case length(al.release_date)
                        when 4 then al.release_date || '-01-01'
                        when 7 then al.release_date || '-01'
                        else al.release_date end as date) as release_date,
           coalesce(al.release_year, try_cast(left(al.release_date, 4) as integer)) as release_year,
           coalesce(t.duration_ms, lib.local_duration_ms) as duration_ms,
           t.explicit,
           t.track_number,
           coalesce(nullif(trim(t.isrc), ''), t.mb_isrc) as isrc,
           lib.is_local,
           lib.liked,
           lib.liked_at,
           lib.added_at,
           lib.in_playlist,
           lib.playlist_names,
           g.genres,
           lt.tags,
           dz.bpm,
           dz.gain,
           dz.rank as deezer_rank,
           lt.listeners as lastfm_listeners,
           lt.playcount as lastfm_playcount,
           t.popularity,
           coalesce(ls.play_count, 0) as play_count,
           coalesce(ls.plays_last_7d, 0) as plays_last_7d,
           coalesce(ls.plays_last_30d, 0) as plays_last_30d,
           coalesce(ls.plays_last_90d, 0) as plays_last_90d,
           coalesce(ls.plays_last_365d, 0) as plays_last_365d,
           ls.last_played_at,
           ls.skip_rate,
           tr.top_rank_short_term, tr.top_rank_medium_term, tr.top_rank_long_term,
           ar.top_artist_rank_short_term, ar.top_artist_rank_medium_term, ar.top_artist_rank_long_term,
           t.title_key,
           t.artist_key,
           lib.in_library
    from everything lib
    left join tracks t on t.user_id = lib.user_id and t.track_id = lib.track_id
    left join album_catalog al on al.user_id = t.user_id and al.album_id = t.album_id
    left join genres g on g.user_id = lib.user_id and g.track_id = lib.track_id
    left join enrich.deezer_tracks dz
           on dz.isrc = coalesce(nullif(trim(t.isrc), ''), t.mb_isrc) and dz.status = 'hit'
    left join enrich.lastfm_tracks lt
           on lt.artist_key = t.artist_key and lt.track_key = t.title_key and lt.status = 'hit'
    left join listening ls on ls.user_id = lib.user_id and ls.track_id = lib.track_id
    left join top_track_ranks tr on tr.user_id = lib.user_id and tr.track_id = lib.track_id
    left join top_artist_ranks ar on ar.user_id = lib.user_id and ar.track_id = lib.track_id
)
select user_id, track_id, track_uri, title, artist, artists, album, album_type, release_date,
       cast(release_year as bigint) as release_year,
       cast(release_year // 10 * 10 as bigint) as decade,
       cast(duration_ms as bigint) as duration_ms, explicit, cast(track_number as bigint) as track_number, isrc,
       is_local, liked, liked_at, added_at, in_playlist, playlist_names, genres, tags, bpm, gain,
       cast(deezer_rank as bigint) as deezer_rank, cast(lastfm_listeners as bigint) as lastfm_listeners,
       cast(lastfm_playcount as bigint) as lastfm_playcount, cast(popularity as bigint) as popularity,
       cast(play_count as bigint) as play_count, cast(plays_last_7d as bigint) as plays_last_7d,
       cast(plays_last_30d as bigint) as plays_last_30d, cast(plays_last_90d as bigint) as plays_last_90d,
       cast(plays_last_365d as bigint) as plays_last_365d, last_played_at, skip_rate,
       cast(top_rank_short_term as bigint) as top_rank_short_term,
       cast(top_rank_medium_term as bigint) as top_rank_medium_term,
       cast(top_rank_long_term as bigint) as top_rank_long_term,
       cast(top_artist_rank_short_term as bigint) as top_artist_rank_short_term,
       cast(top_artist_rank_medium_term as bigint) as top_artist_rank_medium_term,
       cast(top_artist_rank_long_term as bigint) as top_artist_rank_long_term,
       title_key, artist_key, in_library
from features
