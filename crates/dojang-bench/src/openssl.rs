//! The references, measured on the same machine in the same run: OpenSSL's own signing speed
//! (`openssl speed`) and OpenSSL's own OCSP responder (`openssl ocsp -port`).

use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context};

/// Operations per second of one algorithm, all cores together.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Speed {
    pub sign_per_s: f64,
    pub verify_per_s: f64,
}

/// `openssl speed -seconds S -multi CORES ALGORITHM` (`rsa2048`, `ecdsap256`).
pub fn speed(algorithm: &str, seconds: u32, cores: usize) -> anyhow::Result<Speed> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "-multi", &cores.to_string(), algorithm])
        .stdin(Stdio::null())
        .output()
        .context("running `openssl speed` (install the openssl package)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("openssl speed {algorithm} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    parse_speed(&text, algorithm)
        .with_context(|| format!("no {algorithm} result in the output of openssl speed:\n{text}"))
}

/// Two readings of `openssl speed`, just before and just after a measurement compared with it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bracket {
    pub before: Speed,
    pub after: Speed,
}

impl Bracket {
    /// The higher of the two signing rates: the stricter reference.
    pub fn sign_per_s(&self) -> f64 {
        self.before.sign_per_s.max(self.after.sign_per_s)
    }
}

/// Runs `measure` between two `openssl speed` readings, so that the reference sees the machine
/// as the measurement did: a shared virtual machine's speed drifts by a fifth over minutes,
/// and a reading taken at the start of a long run can flatter or wrong what comes later.
pub fn speed_around<T>(
    algorithm: &str,
    seconds: u32,
    cores: usize,
    measure: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<(Bracket, T)> {
    let reading = |when: &str| -> anyhow::Result<Speed> {
        let bar = crate::progress::step(&format!("openssl speed, {when}"));
        let read = speed(algorithm, seconds, cores)?;
        bar.finish_with_message(format!("{algorithm} {:.0} sign/s", read.sign_per_s));
        Ok(read)
    };
    let before = reading("before")?;
    let measured = measure()?;
    let after = reading("after")?;
    Ok((Bracket { before, after }, measured))
}

/// Reads the summary line of `openssl speed` for `algorithm`. The line's times end in `s`
/// (`0.000168s`); the rates after the last of them are sign/s then verify/s (OpenSSL 3.2 and
/// later add encrypt/s and decrypt/s columns for RSA after those two).
pub fn parse_speed(text: &str, algorithm: &str) -> Option<Speed> {
    let wanted = |line: &str| match algorithm {
        "rsa2048" => line.trim_start().starts_with("rsa") && line.contains("2048 bits"),
        "ecdsap256" => line.contains("(nistp256)"),
        _ => false,
    };
    let line = text.lines().rfind(|l| wanted(l))?;
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let is_time = |t: &str| t.strip_suffix('s').is_some_and(|n| n.parse::<f64>().is_ok());
    let last_time = tokens.iter().rposition(|t| is_time(t))?;
    let mut rates = tokens[last_time + 1..].iter().filter_map(|t| t.parse::<f64>().ok());
    Some(Speed { sign_per_s: rates.next()?, verify_per_s: rates.next()? })
}

/// One line of OpenSSL's CA database (`index.txt`): a certificate and its status.
pub struct IndexEntry {
    /// Upper-case hex.
    pub serial: String,
    /// `YYMMDDHHMMSSZ`.
    pub not_after: String,
    /// `YYMMDDHHMMSSZ` and the reason name, when revoked.
    pub revoked: Option<(String, &'static str)>,
    /// The subject in OpenSSL's one-line form.
    pub subject: String,
}

/// The index file's text.
pub fn index_text(entries: &[IndexEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        let (flag, revoked) = match &e.revoked {
            Some((at, reason)) => ("R", format!("{at},{reason}")),
            None => ("V", String::new()),
        };
        let _ = writeln!(
            out,
            "{flag}\t{}\t{revoked}\t{}\tunknown\t{}",
            e.not_after, e.serial, e.subject
        );
    }
    out
}

/// `openssl ocsp` serving `index` on `port`, signing with the same delegated OCSP signer as
/// the center. Stopped on drop.
pub struct OcspResponder {
    child: Child,
    pub url: String,
}

impl OcspResponder {
    /// Starts the responder with `workers` processes (`-multi`, OpenSSL 3.0 and later) and
    /// waits until it accepts connections.
    pub fn start(
        dir: &Path,
        index: &str,
        issuing_pem: &Path,
        signer_pem: &Path,
        signer_key_pem: &Path,
        port: u16,
        workers: usize,
    ) -> anyhow::Result<OcspResponder> {
        let index_path: PathBuf = dir.join("index.txt");
        std::fs::write(&index_path, index).context("writing the OpenSSL index")?;
        std::fs::write(dir.join("index.txt.attr"), "unique_subject = no\n")
            .context("writing the OpenSSL index attributes")?;
        let log = std::fs::File::create(dir.join("openssl-ocsp.log")).context("log file")?;
        let mut cmd = Command::new("openssl");
        cmd.arg("ocsp")
            .args(["-index", &index_path.display().to_string()])
            .args(["-port", &port.to_string()])
            .args(["-rsigner", &signer_pem.display().to_string()])
            .args(["-rkey", &signer_key_pem.display().to_string()])
            .args(["-CA", &issuing_pem.display().to_string()]);
        if workers > 1 {
            cmd.args(["-multi", &workers.to_string()]);
        }
        // A process group of its own: with -multi the workers outlive a killed parent.
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("log file")?)
            .stderr(log)
            .spawn()
            .context("starting `openssl ocsp`")?;
        let responder = OcspResponder { child, url: format!("http://127.0.0.1:{port}/") };
        // Not a probing connection: a single responder process would sit on it. It says when
        // it listens (`ACCEPT [::]:PORT`).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let log = dir.join("openssl-ocsp.log");
        while !std::fs::read_to_string(&log).unwrap_or_default().contains("ACCEPT") {
            if std::time::Instant::now() > deadline {
                bail!(
                    "openssl ocsp did not start listening: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // With -multi the workers start accepting a moment after the parent says so.
        std::thread::sleep(std::time::Duration::from_millis(300));
        Ok(responder)
    }
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        // The whole group: the parent and every worker it forked (-multi).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENSSL_30_RSA: &str = "Got: +F2:2:2048:2981.000000:31915.000000 from 1\nversion: 3.0.19\n                  sign    verify    sign/s verify/s\nrsa 2048 bits 0.000168s 0.000015s   5949.7  66046.3\n";
    const OPENSSL_30_EC: &str = "                              sign    verify    sign/s verify/s\n 256 bits ecdsa (nistp256)   0.0000s   0.0001s  36325.0  13998.0\n";
    const OPENSSL_35_RSA: &str = "                   sign    verify    encrypt   decrypt   sign/s verify/s  encr./s  decr./s\nrsa   2048 bits 0.000589s 0.000017s 0.000017s 0.000584s   1698.7  58878.8  57436.8   1712.1\n";

    #[test]
    fn reads_every_layout_of_openssl_speed() {
        assert_eq!(
            parse_speed(OPENSSL_30_RSA, "rsa2048"),
            Some(Speed { sign_per_s: 5949.7, verify_per_s: 66046.3 })
        );
        assert_eq!(
            parse_speed(OPENSSL_30_EC, "ecdsap256"),
            Some(Speed { sign_per_s: 36325.0, verify_per_s: 13998.0 })
        );
        assert_eq!(
            parse_speed(OPENSSL_35_RSA, "rsa2048"),
            Some(Speed { sign_per_s: 1698.7, verify_per_s: 58878.8 })
        );
        assert_eq!(parse_speed(OPENSSL_30_RSA, "ecdsap256"), None);
        assert_eq!(parse_speed("rsa 2048 bits garbage", "rsa2048"), None);
    }

    #[test]
    fn index_lines_have_openssls_six_fields() {
        let text = index_text(&[
            IndexEntry {
                serial: "0A".into(),
                not_after: "300101000000Z".into(),
                revoked: None,
                subject: "/CN=a".into(),
            },
            IndexEntry {
                serial: "0B".into(),
                not_after: "300101000000Z".into(),
                revoked: Some(("250101000000Z".into(), "keyCompromise")),
                subject: "/CN=b".into(),
            },
        ]);
        assert_eq!(
            text,
            "V\t300101000000Z\t\t0A\tunknown\t/CN=a\nR\t300101000000Z\t250101000000Z,keyCompromise\t0B\tunknown\t/CN=b\n"
        );
    }
}
