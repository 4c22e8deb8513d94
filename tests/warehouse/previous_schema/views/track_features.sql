create or replace view track_features as
select * from marts.track_features;
