//! Finishing what a crash interrupted (중단된 저장 복구): the hidden folders and files
//! [`atomic`] leaves beside a target while it writes, found again in a `<CA>/USER` folder.
//!
//! A save stages the new certificate folder as `.<name>.new-…`, moves the folder in place
//! aside to `.<name>.old-…`, then renames the new one in ([`atomic::swap_dir`]). A crash
//! between the two renames leaves only hidden folders, and the certificate vanishes from
//! every list. So, before a `USER` folder is listed or written to:
//!
//! 1. where the visible folder is missing, the swap is finished: a complete `new` copy is
//!    renamed in; failing one, a complete `old` copy is put back;
//! 2. once the visible folder is sound, the leftovers beside it (`old`, `new`, and `tmp` files
//!    inside it) are removed: on a USB disk they are copies of private keys. `deleted` copies
//!    are always removed, as the rename that made them was the customer's delete.
//!
//! "Complete" and "sound" mean what the store needs: a `signCert.der` that is a certificate
//! and a `signPri.key` that is a key file, and the km pair whole or absent. Nothing hidden is
//! removed while it may be the only copy of a certificate: not while the visible folder is
//! missing or unsound, and never a complete `new` copy holding another certificate than the
//! one in place (a save stopped before its swap): that one is kept and reported. A `new` copy
//! of the certificate in place (a password change or re-import stopped before its swap) goes:
//! the change is undone as a whole.
//!
//! Saves, password changes and this recovery take turns on the `USER` folder
//! ([`atomic::hold`]), so a copy another dojang process is still writing is never taken for a
//! leftover.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use der::Decode;
use dojang_pki::Serial;

use crate::atomic::{self, Leftover};
use crate::error::KeystoreError;
use crate::keys;
use crate::store::{read_file, KM_CERT, KM_KEY, SIGN_CERT, SIGN_KEY};

/// What [`user_folder`] did and found.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// Certificate folders put back in place (a swap finished, or undone).
    pub restored: Vec<PathBuf>,
    /// Complete copies of another certificate than the one in place, kept (see the module).
    pub kept: Vec<PathBuf>,
    /// What could not be done or is worth saying, each naming its folder.
    pub problems: Vec<KeystoreError>,
    /// [`KeystoreError::Unrestored`]: a visible folder is missing and its complete copy could
    /// not be put back. Nothing may be saved there before it is (the copy would be removed
    /// as a leftover afterwards).
    pub unrestored: Vec<KeystoreError>,
}

impl Recovered {
    /// Why nothing may be saved at `target` yet, if so.
    pub fn unrestored_at(self, target: &Path) -> Option<KeystoreError> {
        self.unrestored
            .into_iter()
            .find(|e| matches!(e, KeystoreError::Unrestored { path, .. } if path == target))
    }
}

/// A hidden copy of a certificate folder, and whether it is complete.
struct Hidden {
    path: PathBuf,
    what: Leftover,
    /// `notBefore` of its certificate, when complete: the newest certificate wins a tie.
    complete: Option<der::DateTime>,
}

/// Recovers the leftovers in one `<CA>/USER` folder (see the module). Never fails: what
/// cannot be done is reported in [`Recovered::problems`]; a folder that cannot be read is
/// left to the listing to report.
pub(crate) fn user_folder(user: &Path) -> Recovered {
    let mut out = Recovered::default();
    // Another process's save holds the folder from staging to swap: wait for it.
    let _held = atomic::hold(user);
    let Ok(read) = fs::read_dir(user) else { return out };
    let mut copies: BTreeMap<String, Vec<Hidden>> = BTreeMap::new();
    let mut visible = Vec::new();
    for item in read.flatten() {
        let file_name = item.file_name();
        let Some(name) = file_name.to_str() else { continue };
        match atomic::parse_sibling(name) {
            Some((target, what)) if what != Leftover::Tmp => {
                let path = item.path();
                let complete = if what == Leftover::Deleted { None } else { complete(&path) };
                copies.entry(target.to_string()).or_default().push(Hidden { path, what, complete });
            }
            Some(_) => {}
            None if !name.starts_with('.') => visible.push(item.path()),
            None => {}
        }
    }
    for (name, list) in copies {
        target(&user.join(name), list, &mut out);
    }
    for dir in visible {
        temporaries(&dir, &mut out);
    }
    out
}

/// The leftovers of one target folder.
fn target(target: &Path, mut list: Vec<Hidden>, out: &mut Recovered) {
    // A delete is done once its folder is renamed: finish it.
    list.retain(|c| {
        if c.what != Leftover::Deleted {
            return true;
        }
        remove(&c.path, out);
        false
    });
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Newest complete `new` first (the swap's intent), else the newest complete `old`.
            let best = |what: Leftover| {
                list.iter()
                    .enumerate()
                    .filter(|(_, c)| c.what == what)
                    .filter_map(|(i, c)| c.complete.map(|t| (t, i)))
                    .max()
                    .map(|(_, i)| i)
            };
            let Some(i) = best(Leftover::New).or_else(|| best(Leftover::Old)) else {
                // No complete copy: nothing here is a certificate yet; leave it as it is.
                return;
            };
            let chosen = list.remove(i);
            match fs::rename(&chosen.path, target) {
                Ok(()) => {
                    atomic::sync_parent(target);
                    out.restored.push(target.to_path_buf());
                }
                Err(source) => {
                    out.unrestored.push(KeystoreError::Unrestored {
                        path: target.to_path_buf(),
                        copy: chosen.path,
                        source,
                    });
                    return;
                }
            }
        }
        Ok(_) => {}
        // Cannot tell what is there: touch nothing.
        Err(_) => return,
    }
    if complete(target).is_none() {
        // The folder in place is not sound: a hidden copy may be the only good one.
        return;
    }
    for copy in list {
        // A copy of the certificate in place (a swap already done, or a password change or a
        // re-import of it stopped before its swap) goes: the folder in place holds that
        // certificate, and the change that stopped is undone as a whole.
        let keep = copy.what == Leftover::New
            && copy.complete.is_some()
            && !same_file(&copy.path, target, SIGN_CERT);
        if !keep {
            remove(&copy.path, out);
            continue;
        }
        out.problems.push(KeystoreError::UnfinishedSave {
            copy: copy.path.clone(),
            path: target.to_path_buf(),
            serial: serial_in(&copy.path),
            current: serial_in(target),
        });
        out.kept.push(copy.path);
    }
}

/// The serial number of the certificate in `dir`, in hex, or empty.
fn serial_in(dir: &Path) -> String {
    read_file(&dir.join(SIGN_CERT))
        .ok()
        .and_then(|der| x509_cert::Certificate::from_der(&der).ok())
        .and_then(|c| Serial::from_x509(&c.tbs_certificate.serial_number).ok())
        .map(|s| s.to_hex())
        .unwrap_or_default()
}

/// The `.signPri.key.tmp-…` files of an interrupted write inside a sound certificate folder.
fn temporaries(dir: &Path, out: &mut Recovered) {
    let Ok(read) = fs::read_dir(dir) else { return };
    let leftovers: Vec<PathBuf> = read
        .flatten()
        .filter(|item| {
            item.file_name().to_str().and_then(atomic::parse_sibling).is_some_and(|(name, what)| {
                what == Leftover::Tmp && [SIGN_CERT, SIGN_KEY, KM_CERT, KM_KEY].contains(&name)
            })
        })
        .map(|item| item.path())
        .collect();
    if leftovers.is_empty() || complete(dir).is_none() {
        return;
    }
    for path in leftovers {
        if let Err(source) = fs::remove_file(&path) {
            out.problems.push(KeystoreError::LeftoverKept { path, source });
        }
    }
}

/// The `notBefore` of the certificate when `dir` holds what the store needs: a `signCert.der`
/// that is a certificate and a `signPri.key` that is a key file (a truncated one is not), and
/// the key-management pair whole or not at all (a save stopped while writing it is not).
fn complete(dir: &Path) -> Option<der::DateTime> {
    let cert = read_file(&dir.join(SIGN_CERT)).ok()?;
    let cert = x509_cert::Certificate::from_der(&cert).ok()?;
    let key_path = dir.join(SIGN_KEY);
    keys::check_shape(&read_file(&key_path).ok()?, &key_path).ok()?;
    match (present(&dir.join(KM_CERT))?, present(&dir.join(KM_KEY))?) {
        (false, false) => {}
        (true, true) => {
            x509_cert::Certificate::from_der(&read_file(&dir.join(KM_CERT)).ok()?).ok()?;
            let km_key = dir.join(KM_KEY);
            keys::check_shape(&read_file(&km_key).ok()?, &km_key).ok()?;
        }
        _ => return None,
    }
    Some(cert.tbs_certificate.validity.not_before.to_date_time())
}

/// Whether `path` is there; `None` when that cannot be told.
fn present(path: &Path) -> Option<bool> {
    match fs::symlink_metadata(path) {
        Ok(_) => Some(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(false),
        Err(_) => None,
    }
}

/// Whether two certificate folders hold the same `name` (both readable and equal).
fn same_file(a: &Path, b: &Path, name: &str) -> bool {
    matches!((read_file(&a.join(name)), read_file(&b.join(name))), (Ok(x), Ok(y)) if x == y)
}

/// Removes a leftover folder, saying so if it cannot (it may hold a private key).
fn remove(path: &Path, out: &mut Recovered) {
    match fs::remove_dir_all(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            out.problems.push(KeystoreError::LeftoverKept { path: path.to_path_buf(), source })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // A save elsewhere holds the `USER` folder from staging to swap: recovery waits for it
    // rather than clearing what it finds meanwhile.
    #[test]
    fn recovery_waits_while_another_save_holds_the_folder() {
        let disk = tempfile::tempdir().unwrap();
        let user = disk.path().join("USER");
        let gone = user.join(".cn=a.deleted-0123456789ab");
        fs::create_dir_all(&gone).unwrap();
        let held = atomic::hold(&user).expect("held");
        let recovering = std::thread::spawn({
            let user = user.clone();
            move || user_folder(&user)
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(gone.exists(), "cleared while the folder was held");
        assert!(!recovering.is_finished());
        drop(held);
        recovering.join().unwrap();
        assert!(!gone.exists(), "cleared once let go");
    }
}
