create or replace view api_requests as
select service, endpoint, user_id, run_id, sum(requests)::bigint as requests, max(recorded_at) as recorded_at
from ops.api_requests
group by all;
