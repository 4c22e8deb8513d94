create or replace view artists as
select artist_id, any_value(name) as name, any_value(genres) as genres,
       max(popularity) as popularity, max(followers) as followers
from raw.artists
group by artist_id;
