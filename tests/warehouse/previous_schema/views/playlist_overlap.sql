create or replace view playlist_overlap as
select * from marts.playlist_overlap;
