create or replace view enrichment_coverage as
select * from marts.enrichment_coverage;
