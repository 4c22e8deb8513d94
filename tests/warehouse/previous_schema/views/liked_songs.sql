create or replace view liked_songs as
select user_id, track_id, liked_at, unliked_at, first_liked_at, like_count
from raw.liked_songs;
