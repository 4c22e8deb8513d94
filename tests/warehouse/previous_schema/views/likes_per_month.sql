create or replace view likes_per_month as
select * from marts.likes_per_month;
