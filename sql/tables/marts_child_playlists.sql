-- One row per user × child playlist in the rule file: what its rule produced, including nothing, and why.
create table if not exists marts.child_playlists (
    user_id varchar not null,
    child_playlist varchar not null,
    child_id varchar,              -- its id in the rule file (default: the name): what its Spotify playlist is known by
    rule_hash varchar,             -- hash of the rule as written: a changed rule has a new hash
    status varchar not null,       -- built | empty | invalid
    tracks integer not null,       -- rows in child_playlist_tracks (0 when empty or invalid)
    unpushable integer,            -- tracks left out of the push (local files and other non-Spotify items)
    reason varchar,                -- empty: why (e.g. "no track passes the filter"); invalid: the error
    evaluated_at timestamp
);
