create or replace view sync_history as
select * from marts.sync_history;
