-- Issued certificates. The serial is the key: unique across the whole center.
CREATE TABLE certificates (
    serial            TEXT    PRIMARY KEY NOT NULL,  -- upper-case hex of the positive integer
    product           TEXT    NOT NULL,
    subject           TEXT    NOT NULL,              -- Korean text form, for display and search
    not_before        INTEGER NOT NULL,              -- unix seconds
    not_after         INTEGER NOT NULL,
    issued_at         INTEGER NOT NULL,
    der               BLOB    NOT NULL,
    revoked_at        INTEGER,
    revocation_reason INTEGER,                       -- RFC 5280 CRLReason code
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
) STRICT;

CREATE INDEX certificates_revoked ON certificates (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX certificates_not_after ON certificates (not_after);

-- Bumped in the same transaction as every status change, so that any process (a server, an
-- operator command, another replica) can tell that its CRL is stale with one cheap read.
CREATE TABLE status_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
) STRICT;
INSERT INTO status_generation (id, generation) VALUES (1, 0);

-- CRL numbers, handed out one at a time: they only go up (RFC 5280 §5.2.3).
CREATE TABLE crl_numbers (
    scope       TEXT    PRIMARY KEY NOT NULL,        -- 'issuing' or 'root'
    last_number INTEGER NOT NULL
) STRICT;

-- The newest CRL of each scope. A CRL with a lower number never replaces a higher one.
CREATE TABLE crls (
    scope       TEXT    PRIMARY KEY NOT NULL,
    number      INTEGER NOT NULL,
    this_update INTEGER NOT NULL,
    next_update INTEGER NOT NULL,
    generation  INTEGER NOT NULL,                    -- status_generation it was built from
    der         BLOB    NOT NULL
) STRICT;
