-- One row per user × track ever liked; unliked_at is set when the track leaves Liked Songs.
create table if not exists raw.liked_songs (
    user_id varchar not null,
    track_id varchar not null,
    liked_at timestamp,          -- the current (or last) like
    unliked_at timestamp,        -- null while liked
    first_liked_at timestamp,
    like_count integer,          -- how often the track was liked (re-likes count)
    last_seen_at timestamp,      -- when mixtape first saw the current like
    position integer             -- place in Liked Songs at the last complete sync (null once unliked)
);
