-- Scheduled jobs (CRL refresh, reminders, automatic renewal, housekeeping) run on one replica
-- at a time: the replica holding a job's lease runs it and renews the lease each round; when it
-- stops renewing (it died, or was stopped), another takes the lease once it has run out.
CREATE TABLE job_leases (
    job       TEXT    PRIMARY KEY NOT NULL,   -- e.g. housekeeping, crl-refresh
    holder    TEXT    NOT NULL,               -- the replica: host, process and a random tag
    expires_at INTEGER NOT NULL               -- unix seconds; free for another after this
);
