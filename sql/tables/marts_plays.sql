-- One row per play, from any source, counted once (assets/listening/plays_merge.py says how overlaps match).
create table if not exists marts.plays (
    user_id varchar not null,
    played_at timestamp not null,    -- when the play ended; a play only Last.fm knows: when it started
    track_id varchar,                -- null when unknown (a Last.fm-only play)
    track_name varchar,
    artist_name varchar,
    album_name varchar,
    ms_played integer,               -- null when unknown (recently-played and Last.fm do not say)
    source varchar not null,         -- export, recently_played or lastfm: the richest source that saw it
    skipped boolean                  -- as the export says; null when unknown
);
