//! What can go wrong with the store, said so that a customer (or the help desk reading over
//! their shoulder) knows which file and what to do. No variant carries a password or key.

use std::io;
use std::path::PathBuf;

use crate::password::PasswordRuleError;

#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The platform has no home directory and no override is set.
    #[error(
        "cannot find the {what} folder: no home directory; set {env} to the NPKI folder to use"
    )]
    NoHome { what: &'static str, env: &'static str },

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: FileAction,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// `signCert.der` / `kmCert.der` is not a certificate.
    #[error("{path}: not a valid certificate ({reason}); the file is damaged or truncated: copy it again from where it came from, or reissue the certificate")]
    CorruptCertificate { path: PathBuf, reason: String },

    /// `signPri.key` / `kmPri.key` is not an encrypted private key.
    #[error("{path}: not a valid private key file ({reason}); the file is damaged or truncated: copy it again from where it came from, or reissue the certificate")]
    CorruptKeyFile { path: PathBuf, reason: String },

    /// The key file uses a scheme we cannot open; names its OID.
    #[error("{path}: {reason}")]
    UnsupportedKeyFile { path: PathBuf, reason: String },

    /// The key opens, but it is not the private half of the certificate beside it: another
    /// certificate's key, or a key damaged inside its encryption.
    #[error("the private key ({key}) does not belong to this certificate ({cert}); the files may be mixed up or damaged: copy both files again from where they came from, or reissue the certificate")]
    KeyMismatch { key: PathBuf, cert: PathBuf },

    /// The same, inside a PFX file.
    #[error("{path}: the private key in this PFX does not belong to its certificate; the file may be damaged or made wrongly: export it again from where it came from")]
    PfxKeyMismatch { path: PathBuf },

    #[error("the certificate password is wrong ({path})")]
    WrongPassword { path: PathBuf },

    #[error("the PFX password is wrong")]
    WrongPfxPassword,

    #[error("{source_name}: {source}")]
    Pfx {
        source_name: String,
        #[source]
        source: dojang_npki::pfx::PfxError,
    },

    #[error(transparent)]
    PasswordRule(#[from] PasswordRuleError),

    #[error("no certificate matches {query:?} in {root}")]
    NotFound { query: String, root: PathBuf },

    #[error("{query:?} matches {} certificates: {}; give the serial number instead", .matches.len(), .matches.join("; "))]
    Ambiguous { query: String, matches: Vec<String> },

    #[error("there is no certificate in {root}")]
    Empty { root: PathBuf },

    /// Folders whose certificate cannot be read, where one of them may be the certificate
    /// meant: nothing is chosen for the customer.
    #[error("{} certificate folder(s) cannot be read: {}; name the certificate you mean by its serial number, or delete a damaged folder by its path", .folders.len(), list(.folders))]
    Damaged { folders: Vec<PathBuf> },

    /// The folder to delete is not a certificate folder of this store.
    #[error("{path} is not a certificate folder of {root} (NPKI/<CA>/USER/<subject>)")]
    NotAFolderHere { path: PathBuf, root: PathBuf },

    /// The subject's folder already holds a different certificate.
    #[error("{path} already holds another certificate of this subject (serial {serial}); delete it first, or replace it")]
    AlreadyStored { path: PathBuf, serial: String },

    /// The subject's folder holds this certificate already, with other files beside it (another
    /// key file, one without R, or without the key-management pair).
    #[error("{path} already holds this certificate (serial {serial}) with other key files; keep them, or replace them with --replace")]
    StoredDiffers { path: PathBuf, serial: String },

    /// The removable disk's path does not exist.
    #[error("no removable disk at {path}: is it plugged in and mounted?")]
    NoRemovableDisk { path: PathBuf },

    /// The removable disk's path is a folder where disks are mounted (`/media/…`, `/mnt/…`),
    /// but no disk is mounted there: writing would put the key on this computer's own disk.
    #[error("no disk is mounted at {path}: the folder is on this computer's own disk; plug the removable disk in and mount it, then try again (to keep certificates in a folder of this computer on purpose, choose one outside the folders where disks are mounted)")]
    NotMounted { path: PathBuf },

    /// The same folder, already holding certificates: they are listed (they are the
    /// customer's), but they are on this computer's own disk, and nothing more is saved there.
    #[error("no disk is mounted at {path}: the certificates listed from it are on this computer's own disk, not on a removable disk; plug the disk in and mount it to see its certificates (nothing is saved here meanwhile)")]
    OnOwnDisk { path: PathBuf },

    /// A certificate folder holds one file of a pair without the other: a certificate without
    /// its key, a key without its certificate, or half of the key-management pair.
    #[error("{path} has {present} but no {missing}: the folder is incomplete; copy the whole folder again from where it came from, or reissue the certificate")]
    IncompleteFolder { path: PathBuf, present: &'static str, missing: &'static str },

    /// The subject's folder holds a key (or the key-management pair) but no `signCert.der`:
    /// saving there would replace them, and such a key may still be the only copy of it.
    #[error("{path} already holds a private key or key-management files without signCert.der; move the folder somewhere safe first, or save with --replace (which removes them)")]
    OccupiedFolder { path: PathBuf },

    /// A folder to import from has no NPKI pair in it.
    #[error("{path}: no signCert.der and signPri.key here (nor in an NPKI/<CA>/USER/<subject>/ folder below)")]
    NoPairInFolder { path: PathBuf },

    /// The key file could not be written (an encoding failure in the key-file code).
    #[error("cannot write the private key: {0}")]
    KeyWrite(String),

    /// A folder of the store cannot be read (no permission, not a folder, a disk error), so
    /// what is in it cannot be listed; the rest of the store still is.
    #[error("cannot read the folder {path} ({source}); check that the disk is attached and that you may read the folder")]
    UnreadableFolder {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The certificate folder has its `signCert.der` but no `signPri.key`: the certificate
    /// cannot sign.
    #[error("{path}: the private key of this certificate (signPri.key) is missing, so it cannot sign; copy the whole folder again from where it came from, or reissue the certificate")]
    MissingKey { path: PathBuf },

    /// A save was interrupted (the computer stopped, the disk was pulled) between moving the
    /// folder aside and moving the new one in, and the complete copy cannot be put back.
    /// Until it is, the certificate is listed, and can be used, from the hidden copy.
    #[error("the certificate folder {path} was left hidden as {copy} by an interrupted save and cannot be put back ({source}); it is used from there until then: check that the disk is attached and writable, then list the certificates again")]
    Unrestored {
        path: PathBuf,
        copy: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A save interrupted before its swap left a complete copy of another certificate beside
    /// the folder in place. It is kept, as it may be the only copy of that certificate.
    #[error("{copy} holds certificate {serial}, left by an interrupted save; {path} holds certificate {current}. To use the one left, export {current} first if you still need it, then import that folder with --replace (which removes {current}); if it is not needed, delete it")]
    UnfinishedSave { copy: PathBuf, path: PathBuf, serial: String, current: String },

    /// A hidden copy an interrupted save left (it may hold a private key) cannot be removed,
    /// e.g. on a write-protected disk.
    #[error("cannot remove {path}, a hidden copy an interrupted operation left ({source}); it may hold a private key: delete it once the disk is writable")]
    LeftoverKept {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What the store was doing with a file or folder when it failed: a closed set, so each
/// language can say it in its own words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction {
    CreateFolder,
    Write,
    Replace,
    MoveIntoPlace,
    MoveAside,
    Delete,
    ReadFolder,
    Read,
}

impl std::fmt::Display for FileAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileAction::CreateFolder => "create the folder",
            FileAction::Write => "write",
            FileAction::Replace => "replace",
            FileAction::MoveIntoPlace => "move into place",
            FileAction::MoveAside => "move aside",
            FileAction::Delete => "delete",
            FileAction::ReadFolder => "read the folder",
            FileAction::Read => "read",
        })
    }
}

fn list(folders: &[PathBuf]) -> String {
    folders.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join("; ")
}

impl KeystoreError {
    pub(crate) fn io(action: FileAction, path: impl Into<PathBuf>, source: io::Error) -> Self {
        KeystoreError::Io { action, path: path.into(), source }
    }

    /// True when retrying with another password may help.
    pub fn is_wrong_password(&self) -> bool {
        matches!(self, KeystoreError::WrongPassword { .. } | KeystoreError::WrongPfxPassword)
    }
}
