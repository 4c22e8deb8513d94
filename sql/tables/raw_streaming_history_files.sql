-- One row per export file imported: a file seen before (same content) is not read again.
create table if not exists raw.streaming_history_files (
    user_id varchar not null,
    file_name varchar not null,
    digest varchar not null,         -- sha256 of the file's bytes
    plays integer,                   -- music plays in the file
    added integer,                   -- plays the warehouse did not hold yet
    imported_at timestamp
);
