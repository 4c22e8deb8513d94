-- Deezer by ISRC, shared across users. status: hit | miss (Deezer has no data) | error (retried next run).
create table if not exists enrich.deezer_tracks (
    isrc varchar not null,
    deezer_id bigint,
    bpm double,                  -- null when Deezer does not know (it sends 0)
    bpm_raw double,              -- as Deezer sent it
    bpm_flag varchar,            -- half | double: probably an octave error of the tempo detector
    gain double,                 -- dB, negative
    rank bigint,
    release_date varchar,        -- Deezer's edition date, YYYY-MM-DD
    status varchar not null,
    source varchar not null,
    fetched_at timestamp not null,
    expires_at timestamp not null,
    misses integer               -- misses in a row (0 after a hit): how long the next miss is trusted
);
