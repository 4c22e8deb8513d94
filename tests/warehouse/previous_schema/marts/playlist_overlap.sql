-- Pairs of a user's playlists that share tracks, with the Jaccard similarity of their track sets.
-- deps: raw.playlists, raw.playlist_items
with members as (
    select distinct i.user_id, i.playlist_id, i.track_id
    from raw.playlist_items i
    where i.item_type = 'track' and i.track_id is not null
),
sizes as (
    select user_id, playlist_id, count(*) as tracks from members group by all
),
shared as (
    select a.user_id, a.playlist_id as playlist_a, b.playlist_id as playlist_b, count(*) as shared_tracks
    from members a
    join members b on b.user_id = a.user_id and b.track_id = a.track_id and b.playlist_id > a.playlist_id
    group by all
)
select s.user_id,
       s.playlist_a,
       pa.name as playlist_a_name,
       s.playlist_b,
       pb.name as playlist_b_name,
       sa.tracks as playlist_a_tracks,
       sb.tracks as playlist_b_tracks,
       s.shared_tracks,
       round(s.shared_tracks / (sa.tracks + sb.tracks - s.shared_tracks), 4) as jaccard
from shared s
join sizes sa on sa.user_id = s.user_id and sa.playlist_id = s.playlist_a
join sizes sb on sb.user_id = s.user_id and sb.playlist_id = s.playlist_b
left join raw.playlists pa on pa.user_id = s.user_id and pa.playlist_id = s.playlist_a
left join raw.playlists pb on pb.user_id = s.user_id and pb.playlist_id = s.playlist_b
