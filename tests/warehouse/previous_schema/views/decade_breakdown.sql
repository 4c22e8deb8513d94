create or replace view decade_breakdown as
select * from marts.decade_breakdown;
