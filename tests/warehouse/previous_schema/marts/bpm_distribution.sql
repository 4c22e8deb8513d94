-- Per user and 10-BPM band: library tracks whose Deezer tempo falls in the band.
-- deps: raw.liked_songs, raw.playlist_items, raw.tracks, enrich.deezer_tracks
with library_tracks as (
    select user_id, track_id from raw.liked_songs where unliked_at is null
    union
    select user_id, track_id from raw.playlist_items where item_type = 'track' and track_id is not null
),
tempos as (
    select l.user_id, l.track_id, any_value(d.bpm) as bpm
    from library_tracks l
    join raw.tracks t on t.user_id = l.user_id and t.track_id = l.track_id
    join enrich.deezer_tracks d on d.isrc = upper(trim(t.isrc))
    where d.status = 'hit' and d.bpm > 0
    group by all
)
select user_id,
       (floor(bpm / 10) * 10)::integer as bpm_from,
       (floor(bpm / 10) * 10 + 10)::integer as bpm_to,
       count(*) as tracks,
       round(avg(bpm), 1) as mean_bpm
from tempos
group by all
