//! Where a customer's NPKI folder is: the hard disk, a removable disk, or the phone store.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::KeystoreError;

/// Overrides the hard-disk NPKI folder (the folder that holds `<CA>/USER/...`).
pub const ENV_NPKI_HOME: &str = "DOJANG_NPKI_HOME";
/// Overrides the phone store's NPKI folder.
pub const ENV_PHONE_HOME: &str = "DOJANG_PHONE_HOME";

/// The storage media DESIGN.md names. Which one is always the caller's explicit choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The platform's usual NPKI folder, where every Korean client looks.
    HardDisk,
    /// A removable disk (or any folder) mounted at this path; the store is its `NPKI/`.
    Removable(PathBuf),
    /// The phone store: a separate NPKI root the copy feature fills.
    Phone,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown location {0:?}; use disk, removable:PATH or phone")]
pub struct BadLocation(pub String);

impl FromStr for Location {
    type Err = BadLocation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "disk" | "hdd" | "harddisk" => Ok(Location::HardDisk),
            "phone" => Ok(Location::Phone),
            _ => match s.strip_prefix("removable:") {
                Some(p) if !p.is_empty() => Ok(Location::Removable(PathBuf::from(p))),
                _ => Err(BadLocation(s.to_string())),
            },
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::HardDisk => f.write_str("disk"),
            Location::Removable(p) => write!(f, "removable:{}", p.display()),
            Location::Phone => f.write_str("phone"),
        }
    }
}

/// What the resolution reads from the environment; a seam for tests.
pub(crate) struct Env {
    pub var: fn(&str) -> Option<OsString>,
    pub home: fn() -> Option<PathBuf>,
    pub data: fn() -> Option<PathBuf>,
}

pub(crate) const REAL_ENV: Env = Env {
    var: |k| std::env::var_os(k).filter(|v| !v.is_empty()),
    home: dirs::home_dir,
    data: dirs::data_dir,
};

impl Location {
    /// The NPKI folder of this location (it may not exist yet).
    pub fn npki_root(&self) -> Result<PathBuf, KeystoreError> {
        self.npki_root_with(&REAL_ENV)
    }

    pub(crate) fn npki_root_with(&self, env: &Env) -> Result<PathBuf, KeystoreError> {
        match self {
            Location::HardDisk => {
                if let Some(p) = (env.var)(ENV_NPKI_HOME) {
                    return Ok(PathBuf::from(p));
                }
                let home = (env.home)()
                    .ok_or(KeystoreError::NoHome { what: "NPKI", env: ENV_NPKI_HOME })?;
                Ok(platform_npki(&home))
            }
            Location::Removable(p) => Ok(removable_npki(p)),
            Location::Phone => {
                if let Some(p) = (env.var)(ENV_PHONE_HOME) {
                    return Ok(PathBuf::from(p));
                }
                let data = (env.data)()
                    .ok_or(KeystoreError::NoHome { what: "phone store", env: ENV_PHONE_HOME })?;
                Ok(data.join("dojang").join("phone").join("NPKI"))
            }
        }
    }
}

/// The hard-disk NPKI folder Korean client software uses on each platform.
fn platform_npki(home: &Path) -> PathBuf {
    if cfg!(target_os = "windows") {
        home.join("AppData").join("LocalLow").join("NPKI")
    } else if cfg!(target_os = "macos") {
        home.join("Library").join("Preferences").join("NPKI")
    } else {
        home.join("NPKI")
    }
}

/// A removable disk keeps `NPKI/` at its root. A path that already names that folder is taken
/// as it is, since people often point at the folder they can see.
fn removable_npki(p: &Path) -> PathBuf {
    match p.file_name() {
        Some(n) if n.eq_ignore_ascii_case("NPKI") => p.to_path_buf(),
        _ => p.join("NPKI"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NO_VARS: Env = Env {
        var: |_| None,
        home: || Some(PathBuf::from("/home/hong")),
        data: || Some(PathBuf::from("/home/hong/.local/share")),
    };

    #[test]
    fn parses_the_three_locations() {
        assert_eq!("disk".parse(), Ok(Location::HardDisk));
        assert_eq!("phone".parse(), Ok(Location::Phone));
        assert_eq!("removable:/media/usb".parse(), Ok(Location::Removable("/media/usb".into())));
        assert!("removable:".parse::<Location>().is_err());
        assert!("cloud".parse::<Location>().is_err());
        assert_eq!(Location::Removable("/media/usb".into()).to_string(), "removable:/media/usb");
    }

    #[test]
    fn platform_defaults() {
        let disk = Location::HardDisk.npki_root_with(&NO_VARS).unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(disk, PathBuf::from("/home/hong/NPKI"));
        }
        assert!(disk.ends_with("NPKI"));
        let phone = Location::Phone.npki_root_with(&NO_VARS).unwrap();
        assert_eq!(phone, PathBuf::from("/home/hong/.local/share/dojang/phone/NPKI"));
        let usb = Location::Removable("/media/usb".into()).npki_root_with(&NO_VARS).unwrap();
        assert_eq!(usb, PathBuf::from("/media/usb/NPKI"));
        let usb = Location::Removable("/media/usb/NPKI".into()).npki_root_with(&NO_VARS).unwrap();
        assert_eq!(usb, PathBuf::from("/media/usb/NPKI"));
    }

    #[test]
    fn environment_overrides_and_missing_home() {
        let env = Env {
            var: |k| match k {
                ENV_NPKI_HOME => Some("/tmp/npki".into()),
                ENV_PHONE_HOME => Some("/tmp/phone".into()),
                _ => None,
            },
            home: || None,
            data: || None,
        };
        assert_eq!(Location::HardDisk.npki_root_with(&env).unwrap(), PathBuf::from("/tmp/npki"));
        assert_eq!(Location::Phone.npki_root_with(&env).unwrap(), PathBuf::from("/tmp/phone"));
        let nothing = Env { var: |_| None, home: || None, data: || None };
        let e = Location::HardDisk.npki_root_with(&nothing).unwrap_err();
        assert!(e.to_string().contains(ENV_NPKI_HOME), "{e}");
    }
}
