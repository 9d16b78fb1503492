-- Certificate copy between two devices (인증서 복사, issue 7): the center relays, and keeps
-- only what the relay needs — the SPAKE2 messages, the key confirmations and the sealed box,
-- which it cannot open — never the number's secret digits; the bearer tokens as SHA-256.
-- Wiped when the copy ends, dies after its last wrong try, or expires.
CREATE TABLE transfers (
    id                TEXT    PRIMARY KEY NOT NULL,   -- the receiver's random id (32 hex)
    code              TEXT    NOT NULL UNIQUE,        -- the four digits shown in front
    receiver_token    BLOB    NOT NULL,               -- SHA-256 of the receiver's token
    state             TEXT    NOT NULL,               -- waiting | offered | accepted | dead | expired
    round             INTEGER NOT NULL,               -- which receiver message is current
    receiver_message  BLOB,
    attempts          INTEGER NOT NULL DEFAULT 0,     -- tries taken (each offer takes one)
    max_attempts      INTEGER NOT NULL,
    attempt_token     BLOB,                           -- SHA-256 of the current try's token
    sender_message    BLOB,
    sender_confirm    BLOB,
    sealed            BLOB,
    receiver_confirm  BLOB,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX transfers_expiry ON transfers (expires_at);
