//! A folder made write-protected for a test, as a USB disk's write-protect switch does. One
//! file for the keystore's tests and the CLI's (`dojang/tests/support` includes it by path).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder no one may change while this lives: read-only permission bits where they stop
/// this process, else (root) the immutable attribute, which stops root too. Lifted when
/// dropped. Fails the test if neither stops a write, rather than passing without the case.
pub struct Frozen(PathBuf);

impl Frozen {
    pub fn new(dir: &Path) -> Frozen {
        let probe = dir.join(".frozen-probe");
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).expect("chmod");
        let frozen = Frozen(dir.to_path_buf());
        if fs::create_dir(&probe).is_err() {
            return frozen;
        }
        let _ = fs::remove_dir(&probe);
        let out = Command::new("chattr").arg("+i").arg(dir).output();
        assert!(
            fs::create_dir(&probe).is_err(),
            "cannot write-protect {} here (neither permission bits nor `chattr +i` stop this process: {out:?})",
            dir.display()
        );
        frozen
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).output();
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o700));
    }
}
