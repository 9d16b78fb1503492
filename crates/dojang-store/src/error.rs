use dojang_pki::{RevocationReason, Serial};
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a certificate with serial {0} already exists")]
    DuplicateSerial(Serial),
    #[error("no certificate with serial {0} was issued here; check the serial (`dojang ca show --serial HEX`)")]
    NotFound(Serial),
    #[error("certificate {serial} is already revoked ({reason}, since {at})")]
    AlreadyRevoked { serial: Serial, reason: RevocationReason, at: OffsetDateTime },
    #[error(
        "the store holds a value it cannot read ({0}); the database may have been edited by hand"
    )]
    Corrupt(String),
    #[error("opening the database at {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("applying database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
