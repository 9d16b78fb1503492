-- The certificate center (issue 4): customers enrolled at a branch, their accounts, their
-- security cards and OTP devices, the one-time secrets of identity checks, the flows, the
-- audit log and the simulated outside world.

-- A customer of the bank (개인 or 법인). The RRN is kept only sealed by the vault, with a keyed
-- hash to find it; passwords only as Argon2id PHC strings.
CREATE TABLE customers (
    id                INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL CHECK (kind IN ('person', 'business')),
    name              TEXT    NOT NULL,
    rrn_lookup        BLOB    UNIQUE,               -- vault keyed hash of the RRN
    rrn_sealed        BLOB,                          -- vault-sealed RRN
    business_number   TEXT    UNIQUE,               -- 사업자등록번호, 10 digits, businesses only
    phone             TEXT    NOT NULL,
    email             TEXT    NOT NULL,
    address           TEXT    NOT NULL,
    banking_id        TEXT    NOT NULL UNIQUE,      -- internet banking ID
    banking_password  TEXT    NOT NULL,             -- Argon2id
    banking_failures  INTEGER NOT NULL DEFAULT 0,
    locked_at         INTEGER,                      -- set by staff or by too many failures
    lock_reason       TEXT,
    created_at        INTEGER NOT NULL,
    CHECK (kind = 'business' OR (rrn_lookup IS NOT NULL AND rrn_sealed IS NOT NULL)),
    CHECK (kind = 'person' OR business_number IS NOT NULL)
) STRICT;

-- Withdrawal accounts (출금계좌).
CREATE TABLE accounts (
    number       TEXT    PRIMARY KEY NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    password     TEXT    NOT NULL,                  -- Argon2id of the 4-digit password
    balance      INTEGER NOT NULL CHECK (balance >= 0),
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_at    INTEGER
) STRICT;
CREATE INDEX accounts_customer ON accounts (customer_id);

-- Every movement of money, with the balance after it.
CREATE TABLE ledger (
    id             INTEGER PRIMARY KEY,
    account_number TEXT    NOT NULL REFERENCES accounts (number),
    amount         INTEGER NOT NULL,                -- negative: a withdrawal (fee)
    balance_after  INTEGER NOT NULL CHECK (balance_after >= 0),
    memo           TEXT    NOT NULL,
    flow_id        TEXT,
    at             INTEGER NOT NULL
) STRICT;
CREATE INDEX ledger_account ON ledger (account_number);
CREATE INDEX ledger_flow ON ledger (flow_id);

-- Security cards (보안카드): the numbered codes, sealed.
CREATE TABLE security_cards (
    customer_id  INTEGER PRIMARY KEY REFERENCES customers (id),
    serial       TEXT    NOT NULL UNIQUE,
    codes_sealed BLOB    NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_at    INTEGER
) STRICT;

-- OTP devices (RFC 6238 TOTP): the seed, sealed; the last accepted time step, so that a code
-- is never accepted twice.
CREATE TABLE otp_devices (
    customer_id  INTEGER PRIMARY KEY REFERENCES customers (id),
    serial       TEXT    NOT NULL UNIQUE,
    seed_sealed  BLOB    NOT NULL,
    last_step    INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_at    INTEGER
) STRICT;

-- One-time secrets of identity checks (ARS/SMS/e-mail codes, one-won transfer memo codes,
-- security-card challenges): a keyed hash of the answer, an expiry, an attempt limit, single use.
CREATE TABLE challenges (
    id           TEXT    PRIMARY KEY NOT NULL,
    flow_id      TEXT    NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    kind         TEXT    NOT NULL,
    answer_hash  BLOB    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '',       -- what was asked (never the answer)
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    used_at      INTEGER
) STRICT;
CREATE INDEX challenges_flow ON challenges (flow_id, kind);

-- Flows (issue, reissue, renew, revoke, suspend, resume) as server-side state machines.
-- `version` makes every step a compare-and-swap: a replayed or concurrent step loses.
CREATE TABLE flows (
    id           TEXT    PRIMARY KEY NOT NULL,
    kind         TEXT    NOT NULL,
    state        TEXT    NOT NULL,                  -- JSON
    customer_id  INTEGER REFERENCES customers (id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    finished_at  INTEGER
) STRICT;

-- The audit log: append-only, each row's hash covers the previous row's hash.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    detail     TEXT    NOT NULL,                    -- JSON; never a secret
    prev_hash  BLOB    NOT NULL,
    hash       BLOB    NOT NULL
) STRICT;

-- The head of the audit chain, moved in the same transaction as every append, so that a
-- removed last row is noticed too.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  BLOB    NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

-- What the outside-world adapter sent: with the local simulator, the "phone" a person or a
-- test reads (SMS, ARS calls, e-mail, deposits shown in the banking app).
CREATE TABLE inbox (
    id       INTEGER PRIMARY KEY,
    channel  TEXT    NOT NULL CHECK (channel IN ('sms', 'ars', 'email', 'transfer')),
    address  TEXT    NOT NULL,                      -- phone number, e-mail, or account number
    body     TEXT    NOT NULL,
    at       INTEGER NOT NULL
) STRICT;
CREATE INDEX inbox_address ON inbox (address, id);

-- Expiry reminders already sent: once per certificate.
CREATE TABLE reminders (
    serial   TEXT    PRIMARY KEY NOT NULL REFERENCES certificates (serial),
    sent_at  INTEGER NOT NULL,
    channel  TEXT    NOT NULL
) STRICT;

-- Whose certificate it is (NULL for certificates issued by the operator's `ca issue`).
ALTER TABLE certificates ADD COLUMN customer_id INTEGER REFERENCES customers (id);
CREATE INDEX certificates_customer ON certificates (customer_id);
