create or replace view child_playlist_tracks as
select * from marts.child_playlist_tracks;
