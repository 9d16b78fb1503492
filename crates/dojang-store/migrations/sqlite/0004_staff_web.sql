-- The web page (issue 5): bank staff who sign in to the staff console, their sessions, and the
-- inquiries customers leave on the support page (고객지원).

-- Staff accounts (직원). The password is kept only as an Argon2id PHC string. Wrong passwords
-- in a row are counted and lock the account; an operator unlocks it (`dojang admin staff`).
CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,          -- lower-case login name
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('officer', 'auditor')),
    password      TEXT    NOT NULL,                 -- Argon2id
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_at     INTEGER,
    disabled_at   INTEGER,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER
) STRICT;

-- Signed-in staff sessions. Only a SHA-256 hash of the cookie's random token is kept, so a copy
-- of the database signs no one in. The CSRF token is sent back in a header with every change.
CREATE TABLE staff_sessions (
    token_hash  BLOB    PRIMARY KEY NOT NULL,
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    csrf_token  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL                   -- absolute end, however busy
) STRICT;
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- Inquiries (문의) from the support page. Resident registration numbers typed into them are
-- masked before they are stored.
CREATE TABLE inquiries (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    contact     TEXT    NOT NULL,                  -- phone number or e-mail address to answer
    category    TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
    handled_by  TEXT,
    handled_at  INTEGER,
    note        TEXT
) STRICT;
CREATE INDEX inquiries_status ON inquiries (status, id);
