-- The /me/playlists listing of each user: whether the last listing completed (source 'playlists', key '')
-- and its size in pages; the same columns as the liked-songs sync.
create table if not exists raw.playlists_sync (like raw.liked_songs_sync);
