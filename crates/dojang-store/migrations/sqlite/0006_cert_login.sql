-- Certificate login (인증서 로그인) and other institutions' certificates (타기관 인증서, issue 6).

-- One-time challenges: a login's nonce, or a registration's (with the customer it is for,
-- found by ID + RRN before the identity check). Single use: used_at is set when taken.
CREATE TABLE cert_challenges (
    id           TEXT    PRIMARY KEY NOT NULL,
    purpose      TEXT    NOT NULL,                   -- login | register | unregister
    nonce        BLOB    NOT NULL,
    customer_id  INTEGER REFERENCES customers (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
) STRICT;
CREATE INDEX cert_challenges_expiry ON cert_challenges (expires_at);

-- Certificates of other institutions registered by their holders (타기관 인증서 등록).
CREATE TABLE registered_certificates (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    fingerprint     BLOB    NOT NULL UNIQUE,           -- SHA-256 of the certificate DER
    trusted_issuer  TEXT    NOT NULL,                  -- the [[trusted_issuers]] name
    issuer          TEXT    NOT NULL,                  -- issuer DN
    serial          TEXT    NOT NULL,                  -- hex
    subject         TEXT    NOT NULL,
    not_after       INTEGER NOT NULL,
    der             BLOB    NOT NULL,
    registered_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX registered_certificates_customer ON registered_certificates (customer_id);

-- Login sessions: only a SHA-256 of the bearer token is kept, so a database dump opens none.
CREATE TABLE login_sessions (
    token_hash   BLOB    PRIMARY KEY NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    serial       TEXT    NOT NULL,
    issuer       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
