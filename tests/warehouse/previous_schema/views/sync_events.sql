create or replace view sync_events as
select * from ops.sync_events;
