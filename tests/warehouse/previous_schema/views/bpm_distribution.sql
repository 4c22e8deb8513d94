create or replace view bpm_distribution as
select * from marts.bpm_distribution;
