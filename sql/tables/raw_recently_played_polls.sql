-- One row per read of /me/player/recently-played: what the poll schedule adapts to.
create table if not exists raw.recently_played_polls (
    user_id varchar not null,
    polled_at timestamp not null,
    after_ms bigint,                 -- the cursor sent: the newest play held then (epoch ms), null on the first poll
    plays integer,                   -- new plays the poll returned
    since_previous_s double,         -- seconds since the user's previous poll (null on the first)
    full_page boolean                -- 50 new plays: Spotify may have dropped older ones before this poll
);
