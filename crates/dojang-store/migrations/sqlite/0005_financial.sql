-- Financial certificates (금융인증서, issue 6): keys the center makes and keeps for customers,
-- and the remote-signing (CSC API) sessions and signature activation data.
--
-- Nothing here opens without both the vault (under the CA passphrase) and the customer's PIN:
-- a holder's X25519 private key is sealed under HKDF(vault-derived secret ‖ Argon2id(PIN));
-- each certificate key (PKCS#8) is encrypted to the holder's X25519 public key (ECDH with an
-- ephemeral key) mixed with a vault-derived secret. See dojang-flows::financial::custody.
CREATE TABLE financial_holders (
    customer_id    INTEGER PRIMARY KEY NOT NULL REFERENCES customers (id),
    holder_public  BLOB    NOT NULL,                -- X25519 public key, 32 bytes
    holder_sealed  BLOB    NOT NULL,                -- version ‖ salt ‖ nonce ‖ AES-256-GCM(private)
    failed_pins    INTEGER NOT NULL DEFAULT 0,      -- wrong PINs in a row
    locked_at      INTEGER,                         -- five wrong in a row: locked until re-verified
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE financial_keys (
    serial       TEXT    PRIMARY KEY NOT NULL REFERENCES certificates (serial),
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    key_type     TEXT    NOT NULL,                  -- rsa2048 | p256
    wrapped      BLOB    NOT NULL,                  -- version ‖ ephemeral public ‖ nonce ‖ AES-256-GCM(PKCS#8)
    auto_renew   INTEGER NOT NULL DEFAULT 0,
    renewed_by   TEXT,                              -- the serial that replaced it automatically
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX financial_keys_customer ON financial_keys (customer_id);

-- Remote-signing sessions (CSC auth/login): only a SHA-256 of the bearer token is kept.
CREATE TABLE csc_sessions (
    token_hash   BLOB    PRIMARY KEY NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;

-- Signature activation data (CSC credentials/authorize): single use, short-lived, bound to one
-- credential and a number of signatures. The key is kept re-encrypted under a key derived from
-- the SAD itself, which only the client holds (the row keeps a SHA-256 of it).
CREATE TABLE csc_sads (
    sad_hash        BLOB    PRIMARY KEY NOT NULL,
    serial          TEXT    NOT NULL REFERENCES certificates (serial),
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    num_signatures  INTEGER NOT NULL,
    sealed_key      BLOB,                           -- wiped when used
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
) STRICT;
