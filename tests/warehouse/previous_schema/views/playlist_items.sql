create or replace view playlist_items as
select user_id, playlist_id, position, item_type, track_id, uri, added_at, added_by,
       episode_id, name, is_local, local_name, local_artist, local_album, duration_ms
from raw.playlist_items;
