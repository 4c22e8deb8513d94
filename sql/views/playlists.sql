create or replace view playlists as
select p.user_id, p.playlist_id, p.name, p.owner_id, p.snapshot_id, p.collaborative,
       p.readable and refusal.reason is null as readable,
       managed.playlist_id is not null as managed,
       p.public, p.description, p.items_total,
       coalesce(refusal.reason, p.unreadable_reason) as unreadable_reason,
       done.snapshot_id as items_snapshot_id,  -- the snapshot at which playlist_items holds this playlist
       p.fetched_at
from raw.playlists p
left join (select user_id, key as playlist_id, snapshot_id, refused as reason from raw.playlist_items_sync
           where refused is not null) refusal
       on refusal.user_id = p.user_id and refusal.playlist_id = p.playlist_id and refusal.snapshot_id = p.snapshot_id
left join (select user_id, key as playlist_id, snapshot_id from raw.playlist_items_sync
           where complete and refused is null) done
       on done.user_id = p.user_id and done.playlist_id = p.playlist_id
left join (select distinct user_id, playlist_id from ops.managed_playlists) managed
       on managed.user_id = p.user_id and managed.playlist_id = p.playlist_id;
