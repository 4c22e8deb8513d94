create or replace view genre_breakdown as
select * from marts.genre_breakdown;
