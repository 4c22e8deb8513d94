-- Requests each run spent, by service and endpoint (from the request ledger).
create table if not exists ops.api_requests (
    service varchar not null,
    endpoint varchar not null,
    user_id varchar,
    run_id varchar,
    asset varchar,
    requests integer not null,
    recorded_at timestamp
);
