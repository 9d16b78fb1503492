//! Whether a removable disk's folder is really on a mounted disk (이동식 디스크 연결 확인).
//!
//! A USB disk appears at a folder such as `/media/hong/USB` or `/mnt/usb`. When it is pulled
//! out, that folder may stay behind, empty, on the computer's own disk: a key saved there
//! would sit on the system disk while the customer believes it went to the USB disk. Any other
//! folder may be used as a "removable disk" (DESIGN: any path), so only paths in the places
//! where disks are mounted are checked: somewhere between the path and that place there must
//! be a mount boundary (a folder on another file system than its parent).

use std::path::{Path, PathBuf};

/// Where the platform mounts removable disks. Each is checked from its own level down, since
/// `/media` or `/mnt` itself may be where a disk is mounted.
pub(crate) fn mount_areas() -> Vec<PathBuf> {
    if cfg!(target_os = "macos") {
        vec![PathBuf::from("/Volumes")]
    } else if cfg!(unix) {
        ["/media", "/mnt", "/run/media"].into_iter().map(PathBuf::from).collect()
    } else {
        // Windows gives a disk a drive letter, which is simply absent when it is pulled out.
        Vec::new()
    }
}

/// True when `folder` (an existing folder) lies in one of `areas` and no disk is mounted on
/// the way down to it: it is on the file system that holds the area itself.
pub(crate) fn unmounted(folder: &Path, areas: &[PathBuf]) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let device = |p: &Path| std::fs::metadata(p).ok().map(|m| m.dev());
        let Ok(real) = std::fs::canonicalize(folder) else { return false };
        for area in areas {
            let Ok(area) = std::fs::canonicalize(area) else { continue };
            if !real.starts_with(&area) {
                continue;
            }
            // From the folder up to the area itself: a folder on another file system than its
            // parent is a mount point, so the folder is on a mounted disk.
            let mounted = real.ancestors().take_while(|p| p.starts_with(&area)).any(|p| {
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
        let areas = vec![area.path().to_path_buf()];
        assert!(unmounted(&usb, &areas));
        assert!(unmounted(&usb.join("NPKI"), &areas));
        assert!(unmounted(area.path(), &areas), "the area itself, with nothing mounted on it");
        // Anywhere else is any folder the customer chose.
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(!unmounted(elsewhere.path(), &areas));
    }

    #[test]
    fn a_folder_on_a_mounted_file_system_is_not() {
        // `/proc` is always a file system of its own mounted below `/`: taking `/` as the
        // area, `/proc` is a mount point and every folder in it lies on a mounted disk.
        let areas = vec![PathBuf::from("/")];
        assert!(!unmounted(Path::new("/proc"), &areas));
        assert!(!unmounted(Path::new("/proc/self/fd"), &areas));
        // `/` itself is the root of its file system, its own parent: no boundary.
        assert!(unmounted(Path::new("/"), &areas));
    }
}
