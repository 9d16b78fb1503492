//! Whether a removable disk's folder is really on a mounted disk (이동식 디스크 연결 확인).
//!
//! A USB disk appears at a folder such as `/media/hong/USB` or `/mnt/usb`. When it is pulled
//! out, that folder may stay behind, empty, on the computer's own disk: a key saved there
//! would sit on the system disk while the customer believes it went to the USB disk. Any other
//! folder may be used as a "removable disk" (DESIGN: any path), so only paths in the places
//! where disks are mounted are checked: somewhere between the path and that place there must
//! be a mount boundary (a folder on another file system than its parent).

use std::path::{Path, PathBuf};

/// A folder where the platform mounts removable disks.
#[derive(Clone, Debug)]
pub(crate) struct MountArea {
    pub path: PathBuf,
    /// Whether a disk may be mounted on the folder itself (`mount /dev/sdb1 /mnt`). Not so
    /// for macOS's `/Volumes`, which lies on another volume than `/` (a firmlink into the
    /// data volume): compared with its parent, it would look like a disk mounted there.
    pub mounted_on_itself: bool,
}

impl MountArea {
    fn new(path: &str, mounted_on_itself: bool) -> Self {
        MountArea { path: PathBuf::from(path), mounted_on_itself }
    }
}

/// Where the platform mounts removable disks.
pub(crate) fn mount_areas() -> Vec<MountArea> {
    if cfg!(target_os = "macos") {
        vec![MountArea::new("/Volumes", false)]
    } else if cfg!(unix) {
        vec![
            MountArea::new("/media", true),
            MountArea::new("/mnt", true),
            MountArea::new("/run/media", true),
        ]
    } else {
        // Windows gives a disk a drive letter, which is simply absent when it is pulled out.
        Vec::new()
    }
}

/// True when `folder` (an existing folder) lies in one of `areas` and no disk is mounted on
/// the way down to it: it is on the file system that holds the area itself.
pub(crate) fn unmounted(folder: &Path, areas: &[MountArea]) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let device = |p: &Path| std::fs::metadata(p).ok().map(|m| m.dev());
        let Ok(real) = std::fs::canonicalize(folder) else { return false };
        for area in areas {
            let Ok(path) = std::fs::canonicalize(&area.path) else { continue };
            if !real.starts_with(&path) {
                continue;
            }
            // From the folder up to the area (itself included where a disk may be mounted on
            // it): a folder on another file system than its parent is a mount point, so the
            // folder is on a mounted disk.
            let below = |p: &Path| p.starts_with(&path) && (area.mounted_on_itself || p != path);
            let mounted = real.ancestors().take_while(|p| below(p)).any(|p| {
                let parent = p.parent().unwrap_or(p);
                match (device(p), device(parent)) {
                    (Some(a), Some(b)) => a != b,
                    // Cannot tell: do not refuse a disk that may well be there.
                    _ => true,
                }
            });
            return !mounted;
        }
        false
    }
    #[cfg(not(unix))]
    {
        let _ = (folder, areas);
        false
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_in_a_mount_area_with_no_disk_mounted_is_unmounted() {
        let area = tempfile::tempdir().unwrap();
        let usb = area.path().join("usb");
        std::fs::create_dir_all(usb.join("NPKI")).unwrap();
        let areas = vec![MountArea { path: area.path().to_path_buf(), mounted_on_itself: true }];
        assert!(unmounted(&usb, &areas));
        assert!(unmounted(&usb.join("NPKI"), &areas));
        assert!(unmounted(area.path(), &areas), "the area itself, with nothing mounted on it");
        // Anywhere else is any folder the customer chose.
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(!unmounted(elsewhere.path(), &areas));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_on_a_mounted_file_system_is_not() {
        // `/proc` is always a file system of its own mounted below `/`: taking `/` as the
        // area, `/proc` is a mount point and every folder in it lies on a mounted disk.
        let areas = vec![MountArea::new("/", true)];
        assert!(!unmounted(Path::new("/proc"), &areas));
        assert!(!unmounted(Path::new("/proc/self/fd"), &areas));
        // `/` itself is the root of its file system, its own parent: no boundary.
        assert!(unmounted(Path::new("/"), &areas));
        // With `/proc` as the area and disks never mounted on it itself (as `/Volumes`), its
        // own boundary with `/` does not count: `/proc/self` has no boundary below it.
        let volumes = vec![MountArea::new("/proc", false)];
        assert!(unmounted(Path::new("/proc/self"), &volumes));
        let mnt = vec![MountArea::new("/proc", true)];
        assert!(!unmounted(Path::new("/proc/self"), &mnt));
    }
}
