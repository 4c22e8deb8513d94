-- normalise(name) (assets/normalise.py) for every title and artist name in the catalog, so SQL can join
-- the Last.fm and MusicBrainz caches by their normalised keys; refreshed before marts.track_features.
create table if not exists marts.name_keys (
    name varchar not null,
    key varchar not null
);
