create or replace view library_overview as
select * from marts.library_overview;
