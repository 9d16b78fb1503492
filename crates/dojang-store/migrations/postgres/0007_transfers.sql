-- The PostgreSQL twin of migrations/sqlite/0007_transfers.sql (see 0001 for the conventions).
-- Certificate copy between two devices (인증서 복사): what the relay needs, never the number's
-- secret digits; the bearer tokens as SHA-256. Wiped when the copy ends, dies or expires.
CREATE TABLE transfers (
    id                TEXT    PRIMARY KEY NOT NULL,   -- the receiver's random id (32 hex)
    code              TEXT    NOT NULL CONSTRAINT transfers_code_key UNIQUE, -- the four digits shown in front
    receiver_token    BYTEA   NOT NULL,               -- SHA-256 of the receiver's token
    state             TEXT    NOT NULL,               -- waiting | offered | accepted | dead | expired
    round             BIGINT  NOT NULL,               -- which receiver message is current
    receiver_message  BYTEA,
    attempts          BIGINT  NOT NULL DEFAULT 0,     -- tries taken (each offer takes one)
    max_attempts      BIGINT  NOT NULL,
    attempt_token     BYTEA,                          -- SHA-256 of the current try's token
    sender_message    BYTEA,
    sender_confirm    BYTEA,
    sealed            BYTEA,
    receiver_confirm  BYTEA,
    created_at        BIGINT  NOT NULL,
    expires_at        BIGINT  NOT NULL
);
CREATE INDEX transfers_expiry ON transfers (expires_at);
