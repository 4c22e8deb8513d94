-- The inline track objects seen in the user's playlist items, flattened (the newest version of each track); the catalog reads them.
create table if not exists raw.playlist_track_objects (like raw.liked_track_objects);
