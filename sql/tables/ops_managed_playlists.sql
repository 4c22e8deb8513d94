-- Spotify playlists mixtape created and may write to; found again by id, or by the marker in their
-- description, never by name. Keyed by the child playlist's id, so a renamed rule keeps its playlist.
create table if not exists ops.managed_playlists (
    user_id varchar not null,
    child_playlist varchar not null,  -- the rule's name when last pushed
    child_id varchar not null,      -- the rule's id (default: its name); the marker names it
    part integer not null,          -- 1, 2, … when a tracklist is split at Spotify's 10,000 items
    playlist_id varchar not null,
    name varchar,                   -- the name mixtape last gave the playlist; a rule's new name renames it
    created_at timestamp not null,
    rule_hash varchar,              -- the rule last pushed; a changed rule lifts the removal guardrail
    tracklist_hash varchar,         -- the tracklist last pushed
    tracklist varchar,              -- JSON array of its uris: while the snapshot is unchanged, the
                                    -- next push plans from it without reading the playlist
    snapshot_id varchar,            -- the playlist's snapshot after mixtape's last push
    pushed_at timestamp,
    marker varchar,                 -- the stable marker in the playlist's description ([mixtape:USER/CHILD_ID]):
                                    -- with the warehouse lost, the push adopts the playlist carrying it
    intent varchar,                 -- JSON: the write under way, stored before it is sent; set means the
                                    -- playlist's state is uncertain and the next push reads it afresh
    intent_at timestamp             -- when that write was started
);
