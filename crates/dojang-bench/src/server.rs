//! A real `dojang serve` in its own process, and what the bench reads of it from `/proc`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A free TCP port on the loopback interface.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Writes `DIR/dojang.toml` fixing the port, so that the server and anything opening the same
/// data directory in-process agree on the URLs put into certificates. Returns the base URL.
pub fn configure(data: &Path, port: u16) -> anyhow::Result<String> {
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    std::fs::write(data.join("dojang.toml"), format!("listen = \"127.0.0.1:{port}\"\n"))
        .context("writing dojang.toml")?;
    Ok(format!("http://127.0.0.1:{port}"))
}

/// `dojang serve --data DIR`, logging to `DIR/serve.log`; stopped on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    /// Starts `exe serve` on `data` (configured by [`configure`]) and waits for `/healthz`.
    pub fn start(exe: &Path, data: &Path, base: &str) -> anyhow::Result<Server> {
        let log = data.join("serve.log");
        let out = std::fs::File::create(&log).context("creating serve.log")?;
        let child = Command::new(exe)
            .args(["serve", "--data"])
            .arg(data)
            .env_remove("DOJANG_DATA")
            .env_remove("DOJANG_CONFIG")
            .env_remove("DOJANG_CLOCK_OFFSET")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone().context("serve.log")?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {} serve", exe.display()))?;
        let mut server = Server { child, base: base.to_string(), log };
        let deadline = Instant::now() + Duration::from_secs(120);
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(2)).build();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let said = std::fs::read_to_string(&server.log).unwrap_or_default();
                bail!("dojang serve exited ({status}): {said}");
            }
            if agent.get(&format!("{base}/healthz")).call().is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!("dojang serve did not answer /healthz within two minutes");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory now, in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        proc_status(self.pid(), "VmRSS:")
    }

    /// The most resident memory the server has had, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status(self.pid(), "VmHWM:")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `kB` field of `/proc/PID/status` (`VmRSS:`, `VmHWM:`), in KiB.
pub fn proc_status(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_our_own_memory() {
        let rss = super::proc_status(std::process::id(), "VmRSS:").expect("VmRSS");
        assert!(rss > 100, "{rss} KiB");
        assert!(super::proc_status(std::process::id(), "NoSuchField:").is_none());
    }
}
