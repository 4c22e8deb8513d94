-- The top of Liked Songs fetched so far by a sync that has not finished (empty once complete).
create table if not exists raw.liked_songs_cursor (
    user_id varchar not null,
    position integer not null,
    track_id varchar not null,
    added_at timestamp
);
