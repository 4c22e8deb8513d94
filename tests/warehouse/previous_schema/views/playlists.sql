create or replace view playlists as
select user_id, playlist_id, name, owner_id, snapshot_id, collaborative, readable, managed,
       public, description, items_total, unreadable_reason, fetched_at
from raw.playlists;
