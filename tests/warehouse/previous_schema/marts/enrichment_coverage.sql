-- Per enrichment source: how much of the catalog its cache answers (hits, misses, errors, expired entries).
-- deps: raw.tracks, enrich.deezer_tracks, enrich.lastfm_tracks, enrich.lastfm_artists, enrich.musicbrainz_recordings
with catalog as (
    select track_id, any_value(upper(trim(isrc))) as isrc, any_value(artist_names) as artist_names
    from raw.tracks group by track_id
),
totals as (
    select count(*) as catalog_tracks,
           count(isrc) as with_isrc,
           count(distinct lower(artist_names[1])) as artists
    from catalog
),
caches as (
    select 'deezer' as source, status, expires_at, fetched_at from enrich.deezer_tracks
    union all select 'lastfm_tracks', status, expires_at, fetched_at from enrich.lastfm_tracks
    union all select 'lastfm_artists', status, expires_at, fetched_at from enrich.lastfm_artists
    union all select 'musicbrainz', status, expires_at, fetched_at from enrich.musicbrainz_recordings
),
by_source as (
    select source,
           count(*) as cached,
           count(*) filter (where status = 'hit') as hits,
           count(*) filter (where status = 'miss') as misses,
           count(*) filter (where status = 'error') as errors,
           count(*) filter (where expires_at < (now() at time zone 'UTC')) as expired,
           max(fetched_at) as last_fetched_at
    from caches
    group by source
),
deezer_tracks_hit as (  -- exact for Deezer: its key, the ISRC, is on the catalog track
    select count(*) as tracks
    from catalog c join enrich.deezer_tracks d on d.isrc = c.isrc
    where d.status = 'hit'
)
select s.source,
       -- what the source is asked about; coverage is the share of it the cache answers
       case s.source when 'deezer' then t.with_isrc
                     when 'lastfm_artists' then t.artists
                     when 'musicbrainz' then t.catalog_tracks - t.with_isrc  -- its fallback for tracks without ISRC
                     else t.catalog_tracks end as wanted,
       s.cached,
       s.hits,
       s.misses,
       s.errors,
       s.expired,
       round(s.hits / nullif(s.cached, 0), 4) as hit_rate,
       round(least(1, case s.source when 'deezer' then (select tracks from deezer_tracks_hit) else s.hits end
             / nullif(wanted, 0)), 4) as coverage,
       s.last_fetched_at
from by_source s cross join totals t
