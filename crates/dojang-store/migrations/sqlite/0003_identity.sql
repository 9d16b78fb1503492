-- Identity checks (issue 4): the simulated ID-card issuer (신분증 진위확인). A real center asks
-- the issuing authority (주민등록증: 행정안전부, 운전면허증: 경찰청/도로교통공단, 여권: 외교부)
-- through the outside-world adapter; the local simulator answers from this registry, filled at
-- enrolment. The card number (for a resident card, the RRN itself) is kept only as a vault
-- keyed hash, never in the clear.
CREATE TABLE sim_id_cards (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('resident', 'driver', 'passport')),
    number_hash   BLOB    NOT NULL,
    holder_name   TEXT    NOT NULL,
    issue_date    TEXT    NOT NULL,                 -- YYYY-MM-DD, as printed on the card
    status        TEXT    NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'lost')),
    registered_at INTEGER NOT NULL,
    UNIQUE (kind, number_hash)
) STRICT;

