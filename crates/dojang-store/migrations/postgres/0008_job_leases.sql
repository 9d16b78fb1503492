-- The PostgreSQL twin of migrations/sqlite/0008_job_leases.sql (see 0001 for the conventions).
CREATE TABLE job_leases (
    job       TEXT    PRIMARY KEY NOT NULL,
    holder    TEXT    NOT NULL,
    expires_at BIGINT NOT NULL
);
