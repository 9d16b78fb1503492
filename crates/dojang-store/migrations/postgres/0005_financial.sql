-- The PostgreSQL twin of migrations/sqlite/0005_financial.sql (see 0001 for the conventions).
-- Financial certificates (금융인증서): keys the center keeps for customers (only ciphertext:
-- see dojang-flows::financial::custody), and the remote-signing (CSC API) sessions and SADs.
CREATE TABLE financial_holders (
    customer_id    BIGINT  PRIMARY KEY NOT NULL REFERENCES customers (id),
    holder_public  BYTEA   NOT NULL,                -- X25519 public key, 32 bytes
    holder_sealed  BYTEA   NOT NULL,                -- version ‖ salt ‖ nonce ‖ AES-256-GCM(private)
    failed_pins    BIGINT  NOT NULL DEFAULT 0,      -- wrong PINs in a row
    locked_at      BIGINT,                          -- five wrong in a row: locked until re-verified
    updated_at     BIGINT  NOT NULL
);

CREATE TABLE financial_keys (
    serial       TEXT    PRIMARY KEY NOT NULL REFERENCES certificates (serial),
    customer_id  BIGINT  NOT NULL REFERENCES customers (id),
    key_type     TEXT    NOT NULL,                  -- rsa2048 | p256
    wrapped      BYTEA   NOT NULL,                  -- version ‖ ephemeral public ‖ nonce ‖ AES-256-GCM(PKCS#8)
    auto_renew   BIGINT  NOT NULL DEFAULT 0,
    renewed_by   TEXT,                              -- the serial that replaced it automatically
    created_at   BIGINT  NOT NULL
);
CREATE INDEX financial_keys_customer ON financial_keys (customer_id);

-- Remote-signing sessions (CSC auth/login): only a SHA-256 of the bearer token is kept.
CREATE TABLE csc_sessions (
    token_hash   BYTEA   PRIMARY KEY NOT NULL,
    customer_id  BIGINT  NOT NULL REFERENCES customers (id),
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);

-- Signature activation data (CSC credentials/authorize): single use, short-lived.
CREATE TABLE csc_sads (
    sad_hash        BYTEA   PRIMARY KEY NOT NULL,
    serial          TEXT    NOT NULL REFERENCES certificates (serial),
    customer_id     BIGINT  NOT NULL REFERENCES customers (id),
    num_signatures  BIGINT  NOT NULL,
    sealed_key      BYTEA,                          -- wiped when used
    expires_at      BIGINT  NOT NULL,
    used_at         BIGINT
);
