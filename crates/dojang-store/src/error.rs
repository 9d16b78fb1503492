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
    #[error("certificate {0} is not suspended, so there is nothing to resume")]
    NotSuspended(Serial),
    #[error("account {account} holds {balance} won, less than the {needed} won needed; deposit the difference or choose another account")]
    InsufficientFunds { account: String, balance: i64, needed: i64 },
    #[error("an amount of money must be a positive number of won (got {0})")]
    InvalidAmount(i64),
    #[error("there is no account {0}")]
    NoSuchAccount(String),
    #[error("there is no customer {0}")]
    NoSuchCustomer(i64),
    #[error("{what} is already registered to another customer; choose another")]
    Duplicate { what: &'static str },
    #[error(
        "the store holds a value it cannot read ({0}); the database may have been edited by hand"
    )]
    Corrupt(String),
    /// `place` is the file, or the URL without its password. (`cause` is said in the message,
    /// not chained as a source, so that it is said once.)
    #[error("opening the database at {place}: {cause}")]
    Open { place: String, cause: sqlx::Error },
    #[error("the database URL {0}")]
    DatabaseUrl(String),
    #[error("applying database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A whole-store copy (backup, restore, migrate) that cannot be made as asked.
    #[error("copying the store: {0}")]
    Copy(String),
    #[error(
        "the store stopped before this was carried out (the server is shutting down); try again"
    )]
    Stopped,
    /// A shared commit's answer was lost and its mark could not be read back: it may or may
    /// not have landed, and running it again could do it twice.
    #[error("the database did not confirm the commit and could not be asked whether it landed; check what was stored before trying again")]
    CommitUnknown,
    /// No turn to write came within the time a writer waits (other changes held the store).
    #[error("the store was busy with other changes for 10 seconds; try again in a moment")]
    Busy,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
