-- The tracklist of every child playlist: one row per user × child playlist × position (rules in MIXTAPE_RULES).
create table if not exists marts.child_playlist_tracks (
    user_id varchar not null,
    child_playlist varchar not null,
    position integer not null,    -- 0-based, the order to push
    track_uri varchar not null,
    track_id varchar,             -- null for local files
    admitted_by varchar,          -- the rule conditions that admitted the track (for preview)
    evaluated_at timestamp
);
