//! One NPKI folder tree (`NPKI/<CA>/USER/<subject>/…`) and what a customer does with it.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use dojang_npki::keyfile::PrivateKey;
use dojang_npki::pfx;
use dojang_pki::Serial;

use crate::atomic;
use crate::error::{FileAction, KeystoreError};
use crate::info::{default_products, CertInfo, ProductLookup};
use crate::keys;
use crate::location::Location;
use crate::mount;
use crate::names;
use crate::password;
use crate::recover;

pub const SIGN_CERT: &str = "signCert.der";
pub const SIGN_KEY: &str = "signPri.key";
pub const KM_CERT: &str = "kmCert.der";
pub const KM_KEY: &str = "kmPri.key";
/// The folder under each CA folder that holds the user's certificates.
pub const USER: &str = "USER";

/// Certificates and key files are a few KiB; anything this big is not one.
const MAX_FILE: u64 = 1 << 20;

/// Which of `candidates` (each a certificate and, for a folder, the folder's name) `query`
/// names: its serial, its whole subject or its folder's name; failing those, every one whose
/// subject holds `query` (any case). Indices into `candidates`; more than one is ambiguous.
pub fn pick<'a>(
    candidates: impl Iterator<Item = (&'a CertInfo, Option<&'a str>)> + Clone,
    query: &str,
) -> Vec<usize> {
    let serial = query.parse::<Serial>().ok();
    let exact: Vec<usize> = candidates
        .clone()
        .enumerate()
        .filter(|(_, (info, name))| {
            Some(&info.serial) == serial.as_ref() || info.subject == query || *name == Some(query)
        })
        .map(|(i, _)| i)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let needle = query.to_lowercase();
    candidates
        .enumerate()
        .filter(|(_, (info, _))| info.subject.to_lowercase().contains(&needle))
        .map(|(i, _)| i)
        .collect()
}

/// One certificate folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `…/NPKI/<CA>/USER/<subject>`; or the hidden copy it is read from, see `unrestored`.
    pub dir: PathBuf,
    /// The signing certificate (`signCert.der`).
    pub info: CertInfo,
    /// The key-management certificate (`kmCert.der`), where the folder has one.
    pub km: Option<CertInfo>,
    /// The folder has no `signPri.key`: the certificate is listed, but cannot sign.
    pub key_missing: bool,
    /// Read from a hidden copy an interrupted save left that could not be put back (a
    /// write-protected disk): the folder it belongs at ([`KeystoreError::Unrestored`]). It
    /// can sign, but nothing can be saved for its subject until it is back in place.
    pub unrestored: Option<PathBuf>,
}

impl Entry {
    pub fn sign_cert_path(&self) -> PathBuf {
        self.dir.join(SIGN_CERT)
    }
    pub fn sign_key_path(&self) -> PathBuf {
        self.dir.join(SIGN_KEY)
    }
    pub fn km_cert_path(&self) -> PathBuf {
        self.dir.join(KM_CERT)
    }
    pub fn km_key_path(&self) -> PathBuf {
        self.dir.join(KM_KEY)
    }
}

/// The files of one folder, as bytes. The keys are already encrypted (NPKI files as they are).
#[derive(Clone, PartialEq, Eq)]
pub struct NpkiPair {
    pub sign_cert: Vec<u8>,
    pub sign_key: Vec<u8>,
    /// `kmCert.der` and `kmPri.key`.
    pub km: Option<(Vec<u8>, Vec<u8>)>,
}

impl fmt::Debug for NpkiPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NpkiPair")
            .field("sign_cert", &format_args!("<{} bytes>", self.sign_cert.len()))
            .field("sign_key", &"<encrypted key>")
            .field("km", &self.km.is_some())
            .finish()
    }
}

/// What [`Store::list`] found: the readable certificates, and what was wrong with the rest
/// (so one damaged or unreadable folder does not hide the others).
#[derive(Debug, Default)]
pub struct Listing {
    pub entries: Vec<Entry>,
    pub problems: Vec<KeystoreError>,
    /// The certificate folders whose `signCert.der` cannot be read, or that cannot be read at
    /// all (each also has its problem above).
    pub damaged: Vec<PathBuf>,
    /// The `<CA>/USER` folders that cannot be read, so the certificates in them are not
    /// listed ([`KeystoreError::UnreadableFolder`] above).
    pub unreadable: Vec<PathBuf>,
    /// Certificate folders an interrupted save had left hidden, put back by this listing.
    pub restored: Vec<PathBuf>,
    /// Complete hidden copies of a certificate an interrupted save left beside another one in
    /// place ([`KeystoreError::UnfinishedSave`] above), kept as they may be the only copy.
    pub kept: Vec<PathBuf>,
    /// Folders holding key files but no certificate ([`KeystoreError::IncompleteFolder`]
    /// above). Not a certificate anyone can choose, so not `damaged`; deletable by name.
    pub keys_without_certificate: Vec<PathBuf>,
}

/// What to do when the folder for a certificate's subject already holds another certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Refuse ([`KeystoreError::AlreadyStored`]): nothing stored is ever lost by accident.
    Keep,
    /// Replace it, as Korean clients do when a renewed certificate arrives.
    Replace,
}

/// A customer's certificate store at one [`Location`].
#[derive(Clone)]
pub struct Store {
    location: Location,
    root: PathBuf,
    products: ProductLookup,
    /// Where removable disks are mounted ([`mount::mount_areas`]; a seam for tests).
    mount_areas: Vec<mount::MountArea>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("location", &self.location).field("root", &self.root).finish()
    }
}

impl Store {
    /// The store at `location`, naming products with [`default_products`].
    pub fn open(location: Location) -> Result<Self, KeystoreError> {
        let root = location.npki_root()?;
        Ok(Store {
            location,
            root,
            products: default_products(),
            mount_areas: mount::mount_areas(),
        })
    }

    /// Uses `products` to name products from certificate-policy OIDs.
    pub fn with_products(mut self, products: ProductLookup) -> Self {
        self.products = products;
        self
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The NPKI folder (it need not exist until something is saved).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every certificate folder under the root, sorted by subject. A missing NPKI folder is
    /// an empty store, but a removable disk that is not there is
    /// [`KeystoreError::NoRemovableDisk`] (or [`KeystoreError::NotMounted`] at an empty mount
    /// point), and an NPKI folder that cannot be read is [`KeystoreError::UnreadableFolder`].
    /// Below it, a folder that cannot be read is a problem of the listing, not the end of it;
    /// what an interrupted save left hidden is recovered first (see `recover`), and a copy
    /// that cannot be put back is listed from where it is ([`Entry::unrestored`]).
    pub fn list(&self) -> Result<Listing, KeystoreError> {
        let mut listing = Listing::default();
        if let Disk::OwnDisk(path) = self.disk()? {
            // Nothing there: the disk is not plugged in. Something there: certificates kept
            // in this folder on purpose, or that a save put there before this check existed:
            // listed, with a warning, so that they can still be used, moved or deleted.
            if !self.root.is_dir() {
                return Err(KeystoreError::NotMounted { path });
            }
            listing.problems.push(KeystoreError::OnOwnDisk { path });
        }
        let cas = subdirs(&self.root).map_err(|source| KeystoreError::UnreadableFolder {
            path: self.root.clone(),
            source,
        })?;
        for ca in cas {
            let user = ca.join(USER);
            let recovered = recover::user_folder(&user);
            let stranded: Vec<(PathBuf, PathBuf)> = recovered
                .unrestored
                .iter()
                .filter_map(|e| match e {
                    KeystoreError::Unrestored { path, copy, .. } => {
                        Some((path.clone(), copy.clone()))
                    }
                    _ => None,
                })
                .collect();
            listing.problems.extend(recovered.unrestored);
            listing.problems.extend(recovered.problems);
            listing.restored.extend(recovered.restored);
            listing.kept.extend(recovered.kept);
            let dirs = match subdirs(&user) {
                Ok(dirs) => dirs,
                Err(source) => {
                    listing
                        .problems
                        .push(KeystoreError::UnreadableFolder { path: user.clone(), source });
                    listing.unreadable.push(user);
                    continue;
                }
            };
            for dir in dirs {
                // `exists()` would be false for a folder that cannot be read, hiding it.
                match fs::metadata(dir.join(SIGN_CERT)) {
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        // A key without its certificate is not a certificate to list, but it
                        // is not nothing either: said, and deletable by its folder's name.
                        if let Some(e) = incomplete(&dir) {
                            listing.problems.push(e);
                            listing.keys_without_certificate.push(dir);
                        }
                        continue;
                    }
                    Err(source) => {
                        listing
                            .problems
                            .push(KeystoreError::UnreadableFolder { path: dir.clone(), source });
                        listing.damaged.push(dir);
                        continue;
                    }
                }
                match self.read_entry(&dir) {
                    Ok((entry, problems)) => {
                        listing.entries.push(entry);
                        listing.problems.extend(problems);
                    }
                    Err(e) => {
                        listing.problems.push(e);
                        listing.damaged.push(dir);
                    }
                }
            }
            // A certificate an interrupted save left hidden, and that cannot be put back (a
            // write-protected disk), is still the customer's: listed from where it is, unless
            // another process put it back meanwhile (then it was listed in place above).
            for (target, copy) in stranded {
                if target.exists() {
                    continue;
                }
                if let Ok((mut entry, problems)) = self.read_entry(&copy) {
                    entry.unrestored = Some(target);
                    listing.entries.push(entry);
                    listing.problems.extend(problems);
                }
            }
        }
        listing.entries.sort_by(|a, b| {
            (&a.info.subject, a.info.not_after).cmp(&(&b.info.subject, b.info.not_after))
        });
        Ok(listing)
    }

    /// Reads one folder: the signing certificate must parse; a missing `signPri.key` marks
    /// the entry ([`Entry::key_missing`]); a damaged `kmCert.der` is reported beside it.
    fn read_entry(&self, dir: &Path) -> Result<(Entry, Vec<KeystoreError>), KeystoreError> {
        let info = self.parse_cert(&dir.join(SIGN_CERT))?;
        let mut problems = Vec::new();
        let key_missing = match fs::metadata(dir.join(SIGN_KEY)) {
            Ok(m) => !m.is_file(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(source) => {
                problems.push(KeystoreError::io(FileAction::Read, dir.join(SIGN_KEY), source));
                true
            }
        };
        // (A missing signing key is `key_missing`, said when the key is used.)
        problems.extend(half_pair(dir, KM_CERT, KM_KEY));
        let km_path = dir.join(KM_CERT);
        let km = if km_path.exists() {
            match self.parse_cert(&km_path) {
                Ok(i) => Some(i),
                Err(e) => {
                    problems.push(e);
                    None
                }
            }
        } else {
            None
        };
        Ok((Entry { dir: dir.to_path_buf(), info, km, key_missing, unrestored: None }, problems))
    }

    /// Refuses to save to a removable disk that is not there: not plugged in
    /// ([`KeystoreError::NoRemovableDisk`]), or not mounted where disks are mounted
    /// ([`KeystoreError::NotMounted`]: the key would land on this computer's own disk). Every
    /// save checks this; a caller that will ask the customer for more first may check early.
    pub fn check_before_saving(&self) -> Result<(), KeystoreError> {
        match self.disk()? {
            Disk::Mounted => Ok(()),
            Disk::OwnDisk(path) => Err(KeystoreError::NotMounted { path }),
        }
    }

    /// Where a removable disk's folder is (the path given, or the folder holding the `NPKI`
    /// folder named): it must be a folder, and in the places disks are mounted, on a mounted
    /// disk ([`mount`]). Other locations are always [`Disk::Mounted`].
    fn disk(&self) -> Result<Disk, KeystoreError> {
        let Location::Removable(disk) = &self.location else { return Ok(Disk::Mounted) };
        let folder = if self.root == *disk {
            disk.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
        } else {
            disk.as_path()
        };
        match fs::metadata(folder) {
            Ok(m) if m.is_dir() => Ok(if mount::unmounted(folder, &self.mount_areas) {
                Disk::OwnDisk(folder.to_path_buf())
            } else {
                Disk::Mounted
            }),
            Ok(_) => Err(KeystoreError::NoRemovableDisk { path: disk.clone() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(KeystoreError::NoRemovableDisk { path: disk.clone() })
            }
            Err(source) => {
                Err(KeystoreError::UnreadableFolder { path: folder.to_path_buf(), source })
            }
        }
    }

    fn parse_cert(&self, path: &Path) -> Result<CertInfo, KeystoreError> {
        let der = read_file(path)?;
        CertInfo::parse(&der, &self.products).map_err(|e| KeystoreError::CorruptCertificate {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// The one certificate `query` names: a serial number (hex, as `list` shows it), the
    /// subject as text, or part of it (e.g. the name). With no query, the only certificate.
    ///
    /// A folder whose certificate cannot be read is never passed over in silence: with no
    /// query, or a query that names it only as well as a readable one, or names nothing
    /// readable, the answer is [`KeystoreError::Damaged`] naming it, since the certificate
    /// meant may be the damaged one (and `delete` must not remove another).
    ///
    /// Where nothing is found while a `<CA>/USER` folder cannot be read, the answer is that
    /// folder's [`KeystoreError::UnreadableFolder`]: the certificate may be in it.
    pub fn find(&self, query: Option<&str>) -> Result<Entry, KeystoreError> {
        let mut listing = self.list()?;
        let unreadable = listing.problems.iter().position(
            |p| matches!(p, KeystoreError::UnreadableFolder { path, .. } if listing.unreadable.contains(path)),
        );
        let unreadable = unreadable.map(|i| listing.problems.swap_remove(i));
        let mut entries = listing.entries;
        let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) else {
            if !listing.damaged.is_empty() {
                return Err(KeystoreError::Damaged { folders: listing.damaged });
            }
            return match entries.len() {
                0 => Err(unreadable.unwrap_or(KeystoreError::Empty { root: self.root.clone() })),
                1 => Ok(entries.remove(0)),
                _ => Err(KeystoreError::Ambiguous {
                    query: String::new(),
                    matches: entries.iter().map(|e| e.info.to_string()).collect(),
                }),
            };
        };
        let chosen =
            pick(entries.iter().map(|e| (&e.info, e.dir.file_name().and_then(|n| n.to_str()))), q);
        let needle = q.to_lowercase();
        let named_damaged: Vec<PathBuf> = listing
            .damaged
            .into_iter()
            .filter(|d| {
                d.as_path() == Path::new(q)
                    || folder_name(d).is_some_and(|n| n.to_lowercase().contains(&needle))
            })
            .collect();
        // A serial, a whole subject or a folder's whole name is certain; part of a name may
        // as well be the damaged folder's.
        let certain = |e: &Entry| {
            q.parse::<Serial>().is_ok_and(|s| s == e.info.serial)
                || e.info.subject == q
                || folder_name(&e.dir) == Some(q)
        };
        let is_certain = matches!(chosen.as_slice(), [one] if certain(&entries[*one]));
        if !named_damaged.is_empty() && !is_certain {
            return Err(KeystoreError::Damaged { folders: named_damaged });
        }
        match chosen.as_slice() {
            [] => Err(unreadable.unwrap_or(KeystoreError::NotFound {
                query: q.to_string(),
                root: self.root.clone(),
            })),
            [one] => Ok(entries.swap_remove(*one)),
            many => Err(KeystoreError::Ambiguous {
                query: q.to_string(),
                matches: many.iter().map(|&i| entries[i].info.to_string()).collect(),
            }),
        }
    }

    /// The files of a stored certificate, as bytes.
    pub fn read_pair(&self, entry: &Entry) -> Result<NpkiPair, KeystoreError> {
        read_pair_in(&entry.dir)?.ok_or_else(|| {
            if entry.sign_cert_path().is_file() && !entry.sign_key_path().is_file() {
                KeystoreError::MissingKey { path: entry.dir.clone() }
            } else {
                KeystoreError::NoPairInFolder { path: entry.dir.clone() }
            }
        })
    }

    /// Stores a pair (certificate DER and the already-encrypted `signPri.key`, plus the km
    /// pair if any) under `<CA>/USER/<subject>/`. Everything is checked before anything is
    /// written, and the folder appears complete or not at all.
    pub fn save(&self, pair: &NpkiPair, existing: Existing) -> Result<Entry, KeystoreError> {
        self.save_from(pair, existing, Path::new("(new certificate)"))
    }

    /// [`Store::save`], naming `source` (where the files came from) in errors.
    fn save_from(
        &self,
        pair: &NpkiPair,
        existing: Existing,
        source: &Path,
    ) -> Result<Entry, KeystoreError> {
        let planned = self.plan(pair, existing, source)?;
        self.write(pair, &planned)
    }

    /// Every check of [`Store::save`]: where the pair goes. It writes nothing but the
    /// recovery of what an interrupted save left in that `USER` folder, so that a certificate
    /// an earlier crash hid is back (and counts) before this one is placed.
    fn plan(
        &self,
        pair: &NpkiPair,
        existing: Existing,
        source: &Path,
    ) -> Result<Planned, KeystoreError> {
        let cert = decode_cert(&pair.sign_cert, &source.join(SIGN_CERT))?;
        let info = self.parse_checked(&pair.sign_cert, &source.join(SIGN_CERT))?;
        keys::check_shape(&pair.sign_key, &source.join(SIGN_KEY))?;
        if let Some((km_cert, km_key)) = &pair.km {
            self.parse_checked(km_cert, &source.join(KM_CERT))?;
            keys::check_shape(km_key, &source.join(KM_KEY))?;
        }
        // Never create a mount point's folder on the system disk when the USB disk is not
        // plugged in.
        self.check_before_saving()?;
        let user = self.root.join(names::ca_folder(&cert.tbs_certificate.issuer)).join(USER);
        let target = user.join(names::subject_folder(&cert.tbs_certificate.subject));
        // Saving over a certificate an earlier crash hid, and could not be put back, would
        // lose it for good.
        if let Some(e) = recover::user_folder(&user).unrestored_at(&target) {
            return Err(e);
        }
        let mut unchanged = false;
        let stored_cert = target.join(SIGN_CERT);
        if existing == Existing::Keep && !present(&stored_cert) {
            // Key files without their certificate may be the only copy of that key.
            if [SIGN_KEY, KM_CERT, KM_KEY].iter().any(|f| present(&target.join(f))) {
                return Err(KeystoreError::OccupiedFolder { path: target });
            }
        } else if existing == Existing::Keep {
            let stored = self.parse_cert(&stored_cert);
            let same = stored.as_ref().is_ok_and(|s| s.serial == info.serial);
            if !same {
                return Err(KeystoreError::AlreadyStored {
                    path: target,
                    serial: stored
                        .map(|s| s.serial.to_hex())
                        .unwrap_or_else(|_| "unreadable".into()),
                });
            }
            // The same certificate again: fine when its files are the ones already here (an
            // import repeated, or from the folder itself). Otherwise the folder keeps what it
            // has — another key, R, the key-management pair — unless replacing was asked for.
            if read_pair_in(&target)?.as_ref() != Some(pair) {
                return Err(KeystoreError::StoredDiffers {
                    path: target,
                    serial: info.serial.to_hex(),
                });
            }
            unchanged = true;
        }
        Ok(Planned { user, target, info, unchanged })
    }

    /// Writes a pair [`Store::plan`] placed: staged beside its folder, then swapped in whole.
    fn write(&self, pair: &NpkiPair, planned: &Planned) -> Result<Entry, KeystoreError> {
        let Planned { user, target, unchanged, .. } = planned;
        if *unchanged {
            return Ok(self.read_entry(target)?.0);
        }
        atomic::create_dir_all(user)?;
        atomic::replace_folder(target, |staged| {
            atomic::write_new(&staged.join(SIGN_CERT), &pair.sign_cert)?;
            atomic::write_new(&staged.join(SIGN_KEY), &pair.sign_key)?;
            if let Some((km_cert, km_key)) = &pair.km {
                atomic::write_new(&staged.join(KM_CERT), km_cert)?;
                atomic::write_new(&staged.join(KM_KEY), km_key)?;
            }
            Ok(())
        })?;
        Ok(self.read_entry(target)?.0)
    }

    fn parse_checked(&self, der: &[u8], path: &Path) -> Result<CertInfo, KeystoreError> {
        CertInfo::parse(der, &self.products).map_err(|e| KeystoreError::CorruptCertificate {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Removes a certificate folder with all its files.
    pub fn delete(&self, entry: &Entry) -> Result<(), KeystoreError> {
        remove_folder(&entry.dir)
    }

    /// Removes the certificate folder `folder` names — its path, or its name under
    /// `<CA>/USER/` — whether or not its certificate can be read: the way to clear a damaged
    /// folder, which [`Store::find`] cannot return, or a copy an interrupted save left
    /// ([`Listing::kept`]), or a folder of key files whose certificate is lost
    /// ([`Listing::keys_without_certificate`]). Only a folder [`Store::list`] sees is removed.
    /// Returns its path.
    pub fn delete_folder(&self, folder: &str) -> Result<PathBuf, KeystoreError> {
        let listing = self.list()?;
        let wanted = Path::new(folder);
        let wanted_real = fs::canonicalize(wanted).ok();
        let mut found: Vec<PathBuf> = listing
            .entries
            .into_iter()
            .map(|e| e.dir)
            .chain(listing.damaged)
            .chain(listing.kept)
            .chain(listing.keys_without_certificate)
            .filter(|d| {
                d.as_path() == wanted
                    || folder_name(d) == Some(folder)
                    || (wanted_real.is_some() && fs::canonicalize(d).ok() == wanted_real)
            })
            .collect();
        match found.len() {
            0 => Err(KeystoreError::NotAFolderHere {
                path: wanted.to_path_buf(),
                root: self.root.clone(),
            }),
            1 => {
                let dir = found.remove(0);
                remove_folder(&dir)?;
                Ok(dir)
            }
            _ => Err(KeystoreError::Ambiguous {
                query: folder.to_string(),
                matches: found.iter().map(|d| d.display().to_string()).collect(),
            }),
        }
    }

    /// Changes the certificate password: the key file is opened with `old` and sealed again
    /// with `new` under the same scheme, keeping the randomNum R. A `kmPri.key` beside it
    /// changes with it (Korean clients keep the two under one password). A key that is not
    /// its certificate's is refused before anything is written.
    pub fn change_password(
        &self,
        entry: &Entry,
        old: &str,
        new: &str,
    ) -> Result<(), KeystoreError> {
        password::check(new)?;
        let pair = self.read_pair(entry)?;
        let (key_path, cert_path) = (entry.sign_key_path(), entry.sign_cert_path());
        let key = keys::open_for(&pair.sign_key, old, &key_path, &pair.sign_cert, &cert_path)?;
        let sign = keys::reseal(&pair.sign_key, &key, new, &key_path)?;
        let mut resealed = vec![(SIGN_KEY, sign)];
        if let Some((km_cert, km_key)) = &pair.km {
            let (key_path, cert_path) = (entry.km_key_path(), entry.km_cert_path());
            let key = keys::open_for(km_key, old, &key_path, km_cert, &cert_path)?;
            resealed.push((KM_KEY, keys::reseal(km_key, &key, new, &key_path)?));
        }
        // Both keys change together or not at all: the folder is copied with the new keys and
        // swapped in whole, so a crash never leaves the two under different passwords.
        atomic::replace_folder(&entry.dir, |staged| {
            for item in fs::read_dir(&entry.dir)
                .map_err(|e| KeystoreError::io(FileAction::ReadFolder, &entry.dir, e))?
            {
                let item =
                    item.map_err(|e| KeystoreError::io(FileAction::ReadFolder, &entry.dir, e))?;
                let name = item.file_name();
                let is_file = item.file_type().is_ok_and(|t| t.is_file());
                let ours = name.to_str().and_then(atomic::parse_sibling).is_some();
                if !is_file || ours || resealed.iter().any(|(n, _)| name.to_str() == Some(n)) {
                    continue;
                }
                atomic::write_new(&staged.join(&name), &read_file(&item.path())?)?;
            }
            for (name, bytes) in &resealed {
                atomic::write_new(&staged.join(name), bytes)?;
            }
            Ok(())
        })
    }

    /// Opens the signing key with the certificate password, refusing (as
    /// [`KeystoreError::KeyMismatch`]) a key that is not the certificate's: what every use of
    /// the key (signing, login, renewal) goes through, since an imported folder's key could
    /// not be checked without the password.
    pub fn open_key(&self, entry: &Entry, password: &str) -> Result<PrivateKey, KeystoreError> {
        let pair = self.read_pair(entry)?;
        keys::open_for(
            &pair.sign_key,
            password,
            &entry.sign_key_path(),
            &pair.sign_cert,
            &entry.sign_cert_path(),
        )
    }

    /// Checks `password` against the stored key (and that the key is the certificate's),
    /// without changing anything.
    pub fn verify_password(&self, entry: &Entry, password: &str) -> Result<(), KeystoreError> {
        self.open_key(entry, password).map(|_| ())
    }

    /// A PFX of the signing certificate and key, protected by `pfx_password` (which must meet
    /// the password rule: the PFX carries the same key).
    pub fn export_pfx(
        &self,
        entry: &Entry,
        cert_password: &str,
        pfx_password: &str,
    ) -> Result<Vec<u8>, KeystoreError> {
        password::check(pfx_password)?;
        let pair = self.read_pair(entry)?;
        let key = keys::open_for(
            &pair.sign_key,
            cert_password,
            &entry.sign_key_path(),
            &pair.sign_cert,
            &entry.sign_cert_path(),
        )?;
        let options = pfx::ExportOptions {
            friendly_name: Some(entry.info.common_name().to_string()),
            ..Default::default()
        };
        pfx::export(&pair.sign_cert, &[], key.pkcs8_der(), pfx_password, &options)
            .map_err(|source| KeystoreError::Pfx { source_name: "PFX export".into(), source })
    }

    /// Imports a PFX: its key is sealed as `signPri.key` under `cert_password` (which must
    /// meet the rule) with the compatible default scheme, keeping any randomNum R. A key that
    /// is not the certificate's is refused.
    pub fn import_pfx(
        &self,
        pfx_bytes: &[u8],
        source: &Path,
        pfx_password: &str,
        cert_password: &str,
        existing: Existing,
    ) -> Result<Entry, KeystoreError> {
        password::check(cert_password)?;
        let contents = pfx::import(pfx_bytes, pfx_password).map_err(|e| match e {
            pfx::PfxError::WrongPassword => KeystoreError::WrongPfxPassword,
            e => KeystoreError::Pfx { source_name: source.display().to_string(), source: e },
        })?;
        let key = PrivateKey::from_pkcs8_der(&contents.private_key).map_err(|e| {
            KeystoreError::CorruptKeyFile { path: source.to_path_buf(), reason: e.to_string() }
        })?;
        keys::check_belongs(&key, source, &contents.certificate, source).map_err(|e| match e {
            KeystoreError::KeyMismatch { .. } => {
                KeystoreError::PfxKeyMismatch { path: source.to_path_buf() }
            }
            other => other,
        })?;
        let sign_key = keys::seal(&key, cert_password)?;
        let pair = NpkiPair { sign_cert: contents.certificate, sign_key, km: None };
        self.save_from(&pair, existing, source)
    }

    /// Imports already-encrypted NPKI files as they are (no password needed). Without the
    /// password the key cannot be checked against the certificate: only its shape is, and
    /// every use of it later ([`Store::open_key`], `change_password`, `export_pfx`) refuses a
    /// key that is not the certificate's.
    pub fn import_files(
        &self,
        cert: &Path,
        key: &Path,
        existing: Existing,
    ) -> Result<Entry, KeystoreError> {
        let pair = NpkiPair { sign_cert: read_file(cert)?, sign_key: read_file(key)?, km: None };
        let dir = cert.parent().unwrap_or(Path::new("."));
        self.parse_checked(&pair.sign_cert, cert)?;
        keys::check_shape(&pair.sign_key, key)?;
        self.save_from(&pair, existing, dir)
    }

    /// Imports from a folder: a certificate folder (`signCert.der` + `signPri.key`, and the
    /// km pair if present), or a tree holding such folders (an `NPKI/` folder, a removable
    /// disk's root). Every pair found is imported, or none: every pair is checked, and where
    /// it would go, before the first is written. (Keys as in [`Store::import_files`].)
    pub fn import_folder(
        &self,
        path: &Path,
        existing: Existing,
    ) -> Result<Vec<Entry>, KeystoreError> {
        let mut dirs = Vec::new();
        find_pair_dirs(path, 0, &mut dirs)?;
        if dirs.is_empty() {
            return Err(KeystoreError::NoPairInFolder { path: path.to_path_buf() });
        }
        // Read and check every pair, and where it goes, first: one damaged folder or one
        // subject already held stops the import before anything is written.
        let mut planned: Vec<(NpkiPair, Planned)> = Vec::new();
        for dir in dirs {
            let pair = read_pair_in(&dir)?
                .ok_or_else(|| KeystoreError::NoPairInFolder { path: dir.clone() })?;
            let plan = self.plan(&pair, existing, &dir)?;
            // Two certificates of one subject in the source would take the same folder.
            if let Some((_, first)) = planned.iter().find(|(_, p)| p.target == plan.target) {
                if first.info.serial != plan.info.serial && existing == Existing::Keep {
                    return Err(KeystoreError::AlreadyStored {
                        path: plan.target,
                        serial: first.info.serial.to_hex(),
                    });
                }
            }
            planned.push((pair, plan));
        }
        planned.iter().map(|(pair, plan)| self.write(pair, plan)).collect()
    }
}

/// Whether a removable disk's folder is on a mounted disk ([`Store::disk`]).
enum Disk {
    Mounted,
    /// In a place disks are mounted, but on this computer's own disk: this folder.
    OwnDisk(PathBuf),
}

/// Whether something is at `path`: a file that cannot be looked at is there all the same.
fn present(path: &Path) -> bool {
    !matches!(fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

/// Where [`Store::plan`] puts a pair: `<CA>/USER/`, the subject's folder in it, and the
/// certificate's facts.
struct Planned {
    user: PathBuf,
    target: PathBuf,
    info: CertInfo,
    /// The folder already holds these very files: nothing to write.
    unchanged: bool,
}

/// Removes a certificate folder, then its USER and CA folders if that left them empty.
fn remove_folder(dir: &Path) -> Result<(), KeystoreError> {
    atomic::remove_dir(dir)?;
    // Leave no empty USER/CA folders behind; a folder that is not empty stays.
    if let Some(user) = dir.parent() {
        if fs::remove_dir(user).is_ok() {
            if let Some(ca) = user.parent() {
                let _ = fs::remove_dir(ca);
            }
        }
    }
    Ok(())
}

/// The last part of a folder's path, as text.
fn folder_name(dir: &Path) -> Option<&str> {
    dir.file_name().and_then(|n| n.to_str())
}

/// `signCert.der` + `signPri.key` (and `kmCert.der` + `kmPri.key`) in `dir`; `None` when the
/// signing pair is not there.
fn read_pair_in(dir: &Path) -> Result<Option<NpkiPair>, KeystoreError> {
    let (cert, key) = (dir.join(SIGN_CERT), dir.join(SIGN_KEY));
    if !cert.is_file() || !key.is_file() {
        return Ok(None);
    }
    let (km_cert, km_key) = (dir.join(KM_CERT), dir.join(KM_KEY));
    let km = if km_cert.is_file() && km_key.is_file() {
        Some((read_file(&km_cert)?, read_file(&km_key)?))
    } else {
        None
    };
    Ok(Some(NpkiPair { sign_cert: read_file(&cert)?, sign_key: read_file(&key)?, km }))
}

/// Why a folder holding part of a certificate's files is not whole: one file of the signing
/// pair without the other, key-management files without a signing certificate, or half of
/// the key-management pair. `None` for a whole folder, or one with none of the four files.
fn incomplete(dir: &Path) -> Option<KeystoreError> {
    let has = |name: &str| dir.join(name).is_file();
    if !has(SIGN_CERT) && !has(SIGN_KEY) {
        // Key-management files alone: what is missing is the signing certificate.
        let present = [KM_CERT, KM_KEY].into_iter().find(|f| has(f))?;
        return Some(KeystoreError::IncompleteFolder {
            path: dir.to_path_buf(),
            present,
            missing: SIGN_CERT,
        });
    }
    half_pair(dir, SIGN_CERT, SIGN_KEY).or_else(|| half_pair(dir, KM_CERT, KM_KEY))
}

/// [`KeystoreError::IncompleteFolder`] when `dir` holds one of the files `a` and `b`, not both.
fn half_pair(dir: &Path, a: &'static str, b: &'static str) -> Option<KeystoreError> {
    let (present, missing) = match (dir.join(a).is_file(), dir.join(b).is_file()) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => return None,
    };
    Some(KeystoreError::IncompleteFolder { path: dir.to_path_buf(), present, missing })
}

/// Folders holding a signing pair at `path` or below (at most four levels: `NPKI/<CA>/USER/
/// <subject>` under a disk root). A folder holding part of a pair stops the search: importing
/// the rest without a word would leave that certificate behind unnoticed.
fn find_pair_dirs(path: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), KeystoreError> {
    if let Some(e) = incomplete(path) {
        return Err(e);
    }
    if path.join(SIGN_CERT).is_file() && path.join(SIGN_KEY).is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if depth >= 4 {
        return Ok(());
    }
    let subs = subdirs(path).map_err(|e| KeystoreError::io(FileAction::ReadFolder, path, e))?;
    for sub in subs {
        find_pair_dirs(&sub, depth + 1, out)?;
    }
    Ok(())
}

/// The visible subfolders of `dir` (ours in progress start with `.`); none if it is missing.
fn subdirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for item in rd {
        let item = item?;
        let hidden = item.file_name().to_string_lossy().starts_with('.');
        if !hidden && item.path().is_dir() {
            out.push(item.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a certificate or key file, refusing what is far too big to be one.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, KeystoreError> {
    let meta = fs::metadata(path).map_err(|e| KeystoreError::io(FileAction::Read, path, e))?;
    if meta.len() > MAX_FILE {
        return Err(KeystoreError::CorruptCertificate {
            path: path.to_path_buf(),
            reason: format!("{} bytes is far too large for a certificate or key file", meta.len()),
        });
    }
    fs::read(path).map_err(|e| KeystoreError::io(FileAction::Read, path, e))
}

/// The certificate in `der`, or an error naming the file it came from.
fn decode_cert(der: &[u8], path: &Path) -> Result<x509_cert::Certificate, KeystoreError> {
    use der::Decode;
    x509_cert::Certificate::from_der(der).map_err(|e| KeystoreError::CorruptCertificate {
        path: path.to_path_buf(),
        reason: format!("not DER X.509: {e}"),
    })
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // A folder where disks are mounted, with no disk mounted on it, is not a removable disk:
    // a save would put the key on this computer's own disk.
    #[test]
    fn an_empty_mount_point_is_not_a_removable_disk() {
        let area = tempfile::tempdir().unwrap();
        let usb = area.path().join("usb");
        fs::create_dir_all(&usb).unwrap();
        for path in [usb.clone(), usb.join("NPKI")] {
            let mut store = Store::open(Location::Removable(path)).unwrap();
            store.mount_areas =
                vec![mount::MountArea { path: area.path().to_path_buf(), mounted_on_itself: true }];
            let e = store.list().unwrap_err();
            assert!(matches!(&e, KeystoreError::NotMounted { path } if *path == usb), "{e}");
            assert!(e.to_string().contains("this computer's own disk"), "{e}");
        }
        // The same folder anywhere else is any folder the customer chose.
        let store = Store::open(Location::Removable(usb.clone())).unwrap();
        assert!(store.list().unwrap().entries.is_empty());

        // Certificates already there (kept on purpose, or put there before this check) stay
        // the customer's: listed with a warning, never saved to.
        let mut store = Store::open(Location::Removable(usb.clone())).unwrap();
        store.mount_areas =
            vec![mount::MountArea { path: area.path().to_path_buf(), mounted_on_itself: true }];
        fs::create_dir_all(usb.join("NPKI").join("yessign").join(USER)).unwrap();
        let listing = store.list().unwrap();
        assert!(
            matches!(listing.problems.as_slice(), [KeystoreError::OnOwnDisk { path }] if *path == usb),
            "{:?}",
            listing.problems
        );
        let e = store.check_before_saving().unwrap_err();
        assert!(matches!(e, KeystoreError::NotMounted { .. }), "{e}");
    }
}
