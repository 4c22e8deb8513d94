-- Pages of playlists whose read was cut short, kept with the snapshot they belong to.
create table if not exists raw.playlist_items_staging (like raw.playlist_items, snapshot_id varchar not null);
