//! Writes that never leave a half-written file or lose what was there: write a temporary file
//! beside the target, flush it to disk, then rename it over the target (atomic on one file
//! system). Folders are swapped the same way.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;

use crate::error::{FileAction, KeystoreError};

/// What a hidden name beside a target holds while a write is under way: every name this
/// module (and the store) makes, `.<name>.<tag>-<random>`. A crash leaves them behind;
/// [`crate::recover`] knows them by [`parse_sibling`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leftover {
    /// A file being written ([`write`]), renamed over its target when complete.
    Tmp,
    /// A certificate folder being staged (`Store::write`), swapped in when complete.
    New,
    /// The folder [`swap_dir`] moved aside, removed once the new one is in place.
    Old,
    /// A folder [`remove_dir`] is deleting: renamed first, then removed.
    Deleted,
}

impl Leftover {
    const ALL: [Leftover; 4] = [Leftover::Tmp, Leftover::New, Leftover::Old, Leftover::Deleted];

    fn tag(self) -> &'static str {
        match self {
            Leftover::Tmp => "tmp",
            Leftover::New => "new",
            Leftover::Old => "old",
            Leftover::Deleted => "deleted",
        }
    }
}

/// Hex digits of the random part of a sibling's name.
const RANDOM_HEX: usize = 12;

/// A name beside `target` that no one else uses: `.<name>.<tag>-<random>`.
pub(crate) fn sibling(target: &Path, what: Leftover) -> PathBuf {
    let mut r = [0u8; RANDOM_HEX / 2];
    rand::rngs::OsRng.fill_bytes(&mut r);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.{}-{}", what.tag(), hex::encode(r)))
}

/// The target's name and what the hidden `file_name` holds, if [`sibling`] made it; `None`
/// for every other name (other software's hidden files, `.DS_Store`, `._*` on a USB disk).
pub(crate) fn parse_sibling(file_name: &str) -> Option<(&str, Leftover)> {
    let rest = file_name.strip_prefix('.')?;
    let (head, random) = rest.rsplit_once('-')?;
    let random_ok = random.len() == RANDOM_HEX
        && random.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !random_ok {
        return None;
    }
    let (name, tag) = head.rsplit_once('.')?;
    let what = Leftover::ALL.into_iter().find(|w| w.tag() == tag)?;
    (!name.is_empty()).then_some((name, what))
}

/// Holds a `<CA>/USER` folder while its hidden copies may change — a save from staging to swap,
/// a password change, the recovery before a listing — so that another dojang process never
/// takes a copy still being written for a leftover. The lock is on the folder itself (an
/// advisory lock on its descriptor): no file is made for it, so a read-only disk is locked
/// too, and the folder stays empty when its last certificate is deleted. Released when
/// dropped; `None` when the folder cannot be opened (nothing can be written there either).
pub(crate) fn hold(user: &Path) -> Option<fs::File> {
    let folder = fs::File::open(user).ok()?;
    folder.lock().ok()?;
    Some(folder)
}

/// Creates `dir` and its parents; private to the user on Unix, as key folders should be.
pub(crate) fn create_dir_all(dir: &Path) -> Result<(), KeystoreError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| KeystoreError::io(FileAction::CreateFolder, dir, e))
}

/// Writes `bytes` to a new file at `path` (which must not exist), flushed to disk; readable
/// only by the user on Unix.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<(), KeystoreError> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let result = o.open(path).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    result.map_err(|e| {
        let _ = fs::remove_file(path);
        KeystoreError::io(FileAction::Write, path, e)
    })
}

/// Replaces `path` with `bytes` atomically: the old content stays until the new is complete.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), KeystoreError> {
    let tmp = sibling(path, Leftover::Tmp);
    write_new(&tmp, bytes)?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        KeystoreError::io(FileAction::Replace, path, e)
    })?;
    sync_parent(path);
    Ok(())
}

/// Replaces (or makes) the certificate folder `target` whole: `fill` writes the new folder's
/// files into a staged folder beside it, which is then swapped in ([`swap_dir`]). The `USER`
/// folder is held throughout ([`hold`]), so that a listing elsewhere never takes the staged
/// copy for a leftover; a failure leaves `target` as it was and no staged copy behind.
pub(crate) fn replace_folder(
    target: &Path,
    fill: impl FnOnce(&Path) -> Result<(), KeystoreError>,
) -> Result<(), KeystoreError> {
    let _held = target.parent().and_then(hold);
    let staged = sibling(target, Leftover::New);
    create_dir_all(&staged)?;
    let written = fill(&staged).and_then(|()| swap_dir(&staged, target));
    if written.is_err() {
        let _ = fs::remove_dir_all(&staged);
    }
    written
}

/// Puts the complete folder `staged` at `target`. An existing `target` is moved aside first
/// and restored if the swap fails, then removed. A crash between the two renames leaves only
/// the hidden `staged` and `.old` folders: [`crate::recover`] finishes the swap.
pub(crate) fn swap_dir(staged: &Path, target: &Path) -> Result<(), KeystoreError> {
    if !target.exists() {
        fs::rename(staged, target)
            .map_err(|e| KeystoreError::io(FileAction::MoveIntoPlace, target, e))?;
        sync_parent(target);
        return Ok(());
    }
    let old = sibling(target, Leftover::Old);
    fs::rename(target, &old).map_err(|e| KeystoreError::io(FileAction::MoveAside, target, e))?;
    if let Err(e) = fs::rename(staged, target) {
        let _ = fs::rename(&old, target);
        return Err(KeystoreError::io(FileAction::MoveIntoPlace, target, e));
    }
    sync_parent(target);
    // The new folder is in place; a leftover old copy is only untidy.
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// Removes a folder so that it is either all there or all gone: rename first, then delete.
pub(crate) fn remove_dir(target: &Path) -> Result<(), KeystoreError> {
    let gone = sibling(target, Leftover::Deleted);
    fs::rename(target, &gone).map_err(|e| KeystoreError::io(FileAction::Delete, target, e))?;
    sync_parent(target);
    fs::remove_dir_all(&gone).map_err(|e| KeystoreError::io(FileAction::Delete, &gone, e))
}

/// Makes a rename durable (Unix: fsync the directory). Best effort.
pub(crate) fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        if let Ok(d) = fs::File::open(parent) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("signPri.key");
        write(&p, b"one").unwrap();
        write(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn every_sibling_name_is_known_again_and_no_other() {
        let target = Path::new("/u/cn=홍길동()001,ou=BANK,o=yessign,c=kr");
        for what in Leftover::ALL {
            let s = sibling(target, what);
            let name = s.file_name().unwrap().to_str().unwrap();
            assert_eq!(
                parse_sibling(name),
                Some(("cn=홍길동()001,ou=BANK,o=yessign,c=kr", what)),
                "{name}"
            );
        }
        let key = sibling(Path::new("/d/signPri.key"), Leftover::Tmp);
        let key = key.file_name().unwrap().to_str().unwrap();
        assert_eq!(parse_sibling(key), Some(("signPri.key", Leftover::Tmp)));
        for other in [
            ".DS_Store",
            "._cn=x",
            ".Trashes",
            ".x.new-0123456789a",
            ".x.new-0123456789ABCD",
            ".x.new-0123456789aZ",
            ".x.later-0123456789ab",
            "..new-0123456789ab",
            "x.new-0123456789ab",
        ] {
            assert_eq!(parse_sibling(other), None, "{other}");
        }
    }

    #[test]
    fn swap_and_remove_folders() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        let staged = dir.path().join("s");
        create_dir_all(&staged).unwrap();
        write_new(&staged.join("f"), b"1").unwrap();
        swap_dir(&staged, &target).unwrap();
        create_dir_all(&staged).unwrap();
        write_new(&staged.join("f"), b"2").unwrap();
        swap_dir(&staged, &target).unwrap();
        assert_eq!(fs::read(target.join("f")).unwrap(), b"2");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        remove_dir(&target).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
