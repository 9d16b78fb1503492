//! Helpers for end-to-end tests: a real `dojang serve` on a free port, real `openssl` and
//! `python3` runs. A missing tool fails the test (the test script installs them).
#![allow(dead_code)]

pub mod terminal;

#[path = "../../../dojang-keystore/tests/frozen/mod.rs"]
pub mod frozen;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

pub const DOJANG: &str = env!("CARGO_BIN_EXE_dojang");

/// Runs a command, returning its output; panics with everything it printed if it cannot start.
pub fn run(program: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("DOJANG_DATA")
        .env_remove("DOJANG_CONFIG")
        .env_remove("DOJANG_DATABASE_URL")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} (is it installed? scripts/test installs it): {e}")
        })
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Runs and requires success.
pub fn ok(program: &str, args: &[&str], dir: &Path) -> String {
    let o = run(program, args, dir);
    assert!(o.status.success(), "{program} {args:?} failed ({}):\n{}", o.status, text(&o));
    text(&o)
}

/// Runs and requires failure; returns what it printed.
pub fn fails(program: &str, args: &[&str], dir: &Path) -> String {
    let o = run(program, args, dir);
    assert!(!o.status.success(), "{program} {args:?} should have failed:\n{}", text(&o));
    text(&o)
}

/// Starts `dojang serve` on `data` (whose `dojang.toml` fixes the port) with the center's clock
/// shifted by `clock_offset` (`DOJANG_CLOCK_OFFSET`, e.g. `+710d`) when given, and waits until
/// `base` answers. Panics with what the server said if it exits first. All it prints (the
/// banner, and its log: both on stdout) is appended to `serve.log` beside `data`; a pipe that
/// no one drained would stop the server once full.
pub fn serve(data: &Path, base: &str, clock_offset: Option<&str>) -> Serving {
    serve_with(data, base, clock_offset, &[])
}

/// As [`serve`], with more arguments for `serve` (e.g. `--database-url URL`).
pub fn serve_with(data: &Path, base: &str, clock_offset: Option<&str>, more: &[&str]) -> Serving {
    serve_logging(data, base, clock_offset, more, "warn")
}

/// As [`serve_with`], logging at `level` (`RUST_LOG`) into `serve.log` beside `data`.
pub fn serve_logging(
    data: &Path,
    base: &str,
    clock_offset: Option<&str>,
    more: &[&str],
    level: &str,
) -> Serving {
    let mut cmd = Command::new(DOJANG);
    cmd.args(["serve", "--data"])
        .arg(data)
        .args(more)
        .env_remove("DOJANG_DATA")
        .env_remove("DOJANG_CONFIG")
        .env_remove("DOJANG_DATABASE_URL")
        .env_remove("DOJANG_CLOCK_OFFSET")
        .env("RUST_LOG", level);
    let log_path = serve_log(data);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .expect("open serve.log");
    let start = log.metadata().map_or(0, |m| m.len());
    cmd.stdout(log.try_clone().expect("serve.log")).stderr(log);
    if let Some(o) = clock_offset {
        cmd.env("DOJANG_CLOCK_OFFSET", o);
    }
    let mut child = cmd.spawn().expect("start dojang serve");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let all = std::fs::read(&log_path).unwrap_or_default();
            let said = String::from_utf8_lossy(all.get(start as usize..).unwrap_or_default());
            panic!("dojang serve exited early ({status}): {said}");
        }
        if ureq::get(&format!("{base}/healthz")).call().is_ok() {
            return Serving(Some(child));
        }
        assert!(Instant::now() < deadline, "dojang serve did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A `dojang serve` started by [`serve`], killed when dropped: also when an assertion fails
/// half-way, so no test leaves a server behind.
pub struct Serving(Option<Child>);

impl Serving {
    pub fn pid(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// Stops it as an operator would (SIGTERM), waits for it and asserts a graceful exit.
    pub fn terminate(mut self) {
        let Some(mut child) = self.0.take() else { return };
        let pid = child.id().to_string();
        ok("kill", &["-TERM", &pid], Path::new("."));
        let status = child.wait().expect("wait for dojang serve");
        assert!(status.success(), "a graceful stop exits 0: {status}");
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Where a server on `data` prints: `serve.log` beside it.
pub fn serve_log(data: &Path) -> PathBuf {
    data.with_file_name("serve.log")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running center in its own temporary data directory, stopped on drop.
pub struct TestCenter {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub base: String,
    server: Option<Serving>,
}

impl TestCenter {
    /// Makes the data directory with a config fixing the port, so that `serve` and the `ca`
    /// commands agree on the URLs put into certificates. Does not start the server.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let port = free_port();
        std::fs::write(data.join("dojang.toml"), format!("listen = \"127.0.0.1:{port}\"\n"))
            .expect("config");
        TestCenter { dir, data, base: format!("http://127.0.0.1:{port}"), server: None }
    }

    pub fn started() -> Self {
        let mut c = Self::new();
        c.start();
        c
    }

    pub fn start(&mut self) {
        self.server = Some(serve(&self.data, &self.base, None));
    }

    /// Stops the server (the data stays).
    pub fn stop(&mut self) {
        self.server = None;
    }

    /// The server's process id, while it runs (the load test reads its memory from /proc).
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Serving::pid)
    }

    /// What `serve` has printed so far, every start of it: its banners and its log.
    pub fn printed(&self) -> String {
        let all = std::fs::read(serve_log(&self.data)).unwrap_or_default();
        String::from_utf8_lossy(&all).into_owned()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    pub fn data_arg(&self) -> String {
        self.data.display().to_string()
    }

    /// `dojang <args…> --data <dir>`.
    pub fn dojang(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        let data = self.data_arg();
        all.extend(["--data", &data]);
        run(DOJANG, &all, self.dir.path())
    }

    /// `dojang <args…> --data <dir>` with extra environment variables.
    pub fn dojang_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        let data = self.data_arg();
        all.extend(["--data", &data]);
        let mut cmd = Command::new(DOJANG);
        cmd.args(&all)
            .current_dir(self.dir.path())
            .env_remove("DOJANG_DATA")
            .env_remove("DOJANG_CONFIG")
            .env_remove("DOJANG_DATABASE_URL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run dojang")
    }

    /// Enrols a customer at the "branch" (`dojang admin customer add --from FILE --json`, the
    /// file `name` in the test's directory holding `doc`); returns their security card's codes.
    pub fn add_customer(&self, name: &str, doc: &serde_json::Value) -> Vec<String> {
        let file = self.path(name);
        std::fs::write(&file, doc.to_string()).expect("write the customer's file");
        let from = file.display().to_string();
        let out = self.dojang(&["admin", "customer", "add", "--from", &from, "--json"]);
        assert!(out.status.success(), "enrolment failed:\n{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line =
            stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).expect("JSON line");
        let j: serde_json::Value = serde_json::from_str(line).expect("enrolment JSON");
        let codes = j["security_card"]["codes"].as_array().expect("a security card's codes");
        let card: Vec<String> = codes.iter().filter_map(|v| v.as_str().map(String::from)).collect();
        assert!(card.len() == codes.len() && card.iter().all(|code| code.len() == 4), "{card:?}");
        card
    }

    pub fn get(&self, path: &str) -> Vec<u8> {
        let resp = ureq::get(&format!("{}{path}", self.base)).call().expect("GET");
        let mut body = Vec::new();
        resp.into_reader().read_to_end(&mut body).expect("body");
        body
    }

    /// Makes a key and CSR with openssl: `key` is `rsa:2048`, `rsa:1024`, `ec` (P-256)…
    pub fn csr(&self, name: &str, key: &str, subject: &str) -> String {
        let keyfile = self.p(&format!("{name}.key"));
        let csr = self.p(&format!("{name}.csr"));
        let mut args = vec![
            "req", "-new", "-nodes", "-utf8", "-keyout", &keyfile, "-out", &csr, "-subj", subject,
        ];
        let newkey;
        if key == "ec" {
            args.extend(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
        } else {
            newkey = key.to_string();
            args.extend(["-newkey", &newkey]);
        }
        ok("openssl", &args, self.dir.path());
        csr
    }

    /// Fetches the chain by the leaf's AIA and writes root.pem and issuing.pem.
    pub fn fetch_chain(&self) -> (String, String) {
        let root = self.p("root.pem");
        let issuing = self.p("issuing.pem");
        std::fs::write(self.path("root.der"), self.get("/ca/root.crt")).expect("root");
        std::fs::write(self.path("issuing.der"), self.get("/ca/issuing.crt")).expect("issuing");
        ok(
            "openssl",
            &["x509", "-inform", "DER", "-in", &self.p("root.der"), "-out", &root],
            self.dir.path(),
        );
        ok(
            "openssl",
            &["x509", "-inform", "DER", "-in", &self.p("issuing.der"), "-out", &issuing],
            self.dir.path(),
        );
        (root, issuing)
    }

    /// Rows in the store, read by Python's own sqlite3 module: (certificates, revoked, status generation).
    pub fn store_counts(&self) -> (i64, i64, i64) {
        let db = self.data.join("dojang.sqlite3");
        let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint(c.execute('select count(*) from certificates').fetchone()[0], c.execute('select count(*) from certificates where revoked_at is not null').fetchone()[0], c.execute('select generation from status_generation').fetchone()[0])";
        let out = ok("python3", &["-c", script, &db.display().to_string()], self.dir.path());
        let n: Vec<i64> = out.split_whitespace().map(|s| s.parse().expect("number")).collect();
        (n[0], n[1], n[2])
    }
}

impl Drop for TestCenter {
    /// The server stops before its temporary directory goes (fields drop in order, `dir` first).
    fn drop(&mut self) {
        self.stop();
    }
}

/// The value after `prefix` on the line that has it.
pub fn line_value(output: &str, prefix: &str) -> String {
    value_after(output.lines(), prefix)
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{output}"))
}

/// As [`line_value`], from the last such line: a flow prints the certificate it works on
/// before the one it issued, with the same label.
pub fn last_line_value(output: &str, prefix: &str) -> String {
    value_after(output.lines().rev(), prefix)
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{output}"))
}

fn value_after<'a>(mut lines: impl Iterator<Item = &'a str>, prefix: &str) -> Option<String> {
    lines.find_map(|l| l.trim().strip_prefix(prefix)).map(|s| s.trim().to_string())
}

/// `POST {path}` at `c` with `body` as JSON: the status and the answer, which must be JSON.
pub fn post_json(c: &TestCenter, path: &str, body: &str) -> (u16, serde_json::Value) {
    let r = ureq::post(&format!("{}{path}", c.base))
        .set("Content-Type", "application/json")
        .send_string(body);
    let (status, resp) = match r {
        Ok(resp) => (resp.status(), resp),
        Err(ureq::Error::Status(s, resp)) => (s, resp),
        Err(e) => panic!("{path}: {e}"),
    };
    let text = resp.into_string().expect("the answer's body");
    let json =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"));
    (status, json)
}

pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// `GET /api/v1/session` at `server` with the bearer token `dojang login` printed (its
/// `session: …` line): the HTTP status and the body.
pub fn session(server: &str, login_out: &str) -> (u16, String) {
    let token = login_out
        .lines()
        .find_map(|l| l.trim().strip_prefix("session: "))
        .unwrap_or_else(|| panic!("no session in:\n{login_out}"));
    match ureq::get(&format!("{server}/api/v1/session"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
    {
        Ok(r) => (r.status(), r.into_string().expect("body")),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().expect("body")),
        Err(e) => panic!("GET /api/v1/session: {e}"),
    }
}

/// Enrols bench customer number `n` (`dojang admin customer add --from`, a security card, a
/// million won in the account) at `c` with `env` set (e.g. `DOJANG_DATABASE_URL`); the
/// customer as the bench's flow driver needs it, card codes included.
pub fn enrol(c: &TestCenter, n: u32, env: &[(&str, &str)]) -> dojang_bench::customers::Customer {
    let mut cust = dojang_bench::customers::Customer::numbered(n);
    let file = c.path(&format!("customer-{n}.json"));
    let doc = serde_json::json!({
        "kind": "person",
        "name": cust.name,
        "rrn": cust.rrn,
        "phone": cust.phone,
        "email": format!("load{n}@example.com"),
        "address": "서울특별시 중구 세종대로 110",
        "banking_id": cust.banking_id,
        "banking_password": "Banking-pass1!",
        "accounts": [{
            "number": cust.account,
            "password": dojang_bench::customers::ACCOUNT_PASSWORD,
            "balance": 1_000_000,
        }],
        "second_factor": "security-card",
    });
    std::fs::write(&file, doc.to_string()).expect("customer file");
    let out = c.dojang_env(
        &["admin", "customer", "add", "--from", &file.display().to_string(), "--json"],
        env,
    );
    assert!(out.status.success(), "enrolment failed:\n{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).expect("JSON");
    let j: serde_json::Value = serde_json::from_str(line).expect("JSON");
    cust.card = j["security_card"]["codes"]
        .as_array()
        .expect("a security card")
        .iter()
        .map(|v| v.as_str().expect("code").to_string())
        .collect();
    cust
}
