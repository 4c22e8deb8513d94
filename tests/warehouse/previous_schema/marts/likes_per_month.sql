-- Per user and month: tracks liked and unliked, and the size of Liked Songs at the month's end.
-- deps: raw.liked_songs
with events as (
    select user_id, date_trunc('month', liked_at)::date as month, 1 as liked, 0 as unliked
    from raw.liked_songs where liked_at is not null
    union all
    select user_id, date_trunc('month', unliked_at)::date as month, 0, 1
    from raw.liked_songs where unliked_at is not null
),
monthly as (
    select user_id, month, sum(liked)::integer as likes, sum(unliked)::integer as unlikes
    from events group by all
)
select user_id,
       month,
       likes,
       unlikes,
       likes - unlikes as net,
       sum(likes - unlikes) over (partition by user_id order by month)::integer as liked_at_month_end
from monthly
