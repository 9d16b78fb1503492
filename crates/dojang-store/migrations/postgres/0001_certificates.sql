-- The PostgreSQL twin of migrations/sqlite/0001_certificates.sql: the same tables and columns,
-- so that one set of queries serves both. Integers are BIGINT (the store reads them as i64),
-- blobs BYTEA, times unix seconds. Unique constraints are named <table>_<column>_key, as the
-- store recognises a duplicate by the constraint's name.

-- Issued certificates. The serial is the key: unique across the whole center.
CREATE TABLE certificates (
    serial            TEXT    NOT NULL,              -- upper-case hex of the positive integer
    product           TEXT    NOT NULL,
    subject           TEXT    NOT NULL,              -- Korean text form, for display and search
    not_before        BIGINT  NOT NULL,              -- unix seconds
    not_after         BIGINT  NOT NULL,
    issued_at         BIGINT  NOT NULL,
    der               BYTEA   NOT NULL,
    revoked_at        BIGINT,
    revocation_reason BIGINT,                        -- RFC 5280 CRLReason code
    CONSTRAINT certificates_pkey PRIMARY KEY (serial),
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);

CREATE INDEX certificates_revoked ON certificates (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX certificates_not_after ON certificates (not_after);

-- Bumped in the same transaction as every status change, so that any process (a server, an
-- operator command, another replica) can tell that its CRL is stale with one cheap read.
CREATE TABLE status_generation (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO status_generation (id, generation) VALUES (1, 0);

-- CRL numbers, handed out one at a time: they only go up (RFC 5280 §5.2.3).
CREATE TABLE crl_numbers (
    scope       TEXT   PRIMARY KEY NOT NULL,         -- 'issuing' or 'root'
    last_number BIGINT NOT NULL
);

-- The newest CRL of each scope. A CRL with a lower number never replaces a higher one.
CREATE TABLE crls (
    scope       TEXT   PRIMARY KEY NOT NULL,
    number      BIGINT NOT NULL,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    generation  BIGINT NOT NULL,                     -- status_generation it was built from
    der         BYTEA  NOT NULL
);
