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

/// The key of the CA a bench center makes on its first opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaKey {
    Rsa2048,
    P256,
}

/// Writes `DIR/dojang.toml` fixing the port, so that the server and anything opening the same
/// data directory in-process agree on the URLs put into certificates, and the CA's key.
/// Returns the base URL.
pub fn configure(data: &Path, port: u16, ca: CaKey) -> anyhow::Result<String> {
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let key = match ca {
        CaKey::Rsa2048 => "",
        CaKey::P256 => "\n[ca]\nkey_type = \"p256\"\n",
    };
    std::fs::write(data.join("dojang.toml"), format!("listen = \"127.0.0.1:{port}\"\n{key}"))
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
        Server::start_shifted(exe, data, base, None)
    }

    /// As [`Server::start`], with the center's clock set back `behind` (so that flows
    /// prepared that long ago have not expired).
    pub fn start_shifted(
        exe: &Path,
        data: &Path,
        base: &str,
        behind: Option<Duration>,
    ) -> anyhow::Result<Server> {
        let log = data.join("serve.log");
        let out = std::fs::File::create(&log).context("creating serve.log")?;
        let mut command = Command::new(exe);
        command
            .args(["serve", "--data"])
            .arg(data)
            .env_remove("DOJANG_DATA")
            .env_remove("DOJANG_CONFIG")
            .env_remove("DOJANG_CLOCK_OFFSET");
        if let Some(behind) = behind {
            command.env("DOJANG_CLOCK_OFFSET", format!("-{}s", behind.as_secs()));
        }
        let child = command
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

/// CPU time process `pid` has used so far, its threads' (living and gone) user and system time
/// together, from `/proc/PID/stat`.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it start with the state (field 3).
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    // USER_HZ, what /proc counts in, is 100 on every Linux the bench runs on.
    Some(Duration::from_millis((ticks(14)? + ticks(15)?) * 10))
}

/// Context switches of process `pid`'s living threads, voluntary and not, summed from
/// `/proc/PID/task/*/status`.
pub fn context_switches(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut sum = 0;
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("status")) else { continue };
        for field in ["voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"] {
            sum += status_field(&text, field).unwrap_or(0);
        }
    }
    Some(sum)
}

/// A `kB` field of `/proc/PID/status` (`VmRSS:`, `VmHWM:`), in KiB.
pub fn proc_status(pid: u32, field: &str) -> Option<u64> {
    status_field(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?, field)
}

/// The number after `field` in the text of a `/proc` status file.
fn status_field(text: &str, field: &str) -> Option<u64> {
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

    #[test]
    fn reads_our_own_cpu_time_and_switches() {
        let me = std::process::id();
        let before = super::cpu_time(me).expect("cpu time");
        // Work until /proc counts it (in ticks of 10 ms); a machine busy with other tests
        // may give this thread little of each second, so wait on the count, not the clock.
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut x = 0u64;
        let mut after = before;
        while after < before + std::time::Duration::from_millis(20)
            && std::time::Instant::now() < give_up
        {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            after = super::cpu_time(me).expect("cpu time");
        }
        assert!(after >= before + std::time::Duration::from_millis(20), "{before:?} → {after:?}");
        assert!(super::context_switches(me).expect("switches") > 0);
        assert!(super::cpu_time(u32::MAX).is_none());
    }
}
