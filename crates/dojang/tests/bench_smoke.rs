//! `dojang bench --quick` with tiny sizes: every phase runs once (OpenSSL references, issuance
//! in-process and over HTTP — a few flows prepared to their CSR step for each CA, then their
//! CSRs —, whole issue flows, login, OCSP against `openssl ocsp`, the store at size) and the
//! table, the JSON and the PNG chart are written. No figure is judged: benchmarks are not
//! tests.

mod support;

use support::{ok, DOJANG};

#[test]
fn a_quick_bench_writes_its_table_and_chart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("results");
    let printed = ok(
        DOJANG,
        &[
            "bench",
            "--quick",
            "--seconds",
            "0.5",
            "--openssl-seconds",
            "1",
            "--certificates",
            "300",
            "--revoked",
            "30",
            "--clients",
            "2",
            "--connections",
            "2",
            "--csr-flows",
            "3",
            "--issuers",
            "4",
            "--out",
            &out.display().to_string(),
        ],
        dir.path(),
    );
    let table = std::fs::read_to_string(out.join("bench.txt")).expect("bench.txt");
    for row in [
        "[issuance]",
        "over HTTP (the issue flow's CSR step",
        "[flow]",
        "[login]",
        "[ocsp]",
        "[scale]",
        "openssl speed rsa2048",
        "openssl speed ecdsap256",
        "openssl ocsp",
    ] {
        assert!(table.contains(row), "no {row:?} in the table:\n{table}");
    }
    assert!(
        table.contains(
            "a revocation committed by another process was in the very next OCSP answer: yes"
        ),
        "{table}"
    );
    assert!(printed.contains("bench.png"), "{printed}");
    let png = std::fs::read(out.join("bench.png")).expect("bench.png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("bench.json")).expect("bench.json"))
            .expect("JSON");
    assert!(json["rows"].as_array().is_some_and(|r| r.len() >= 10), "{json}");
    // Both CAs' CSR-step rows are there and counted certificates (no speed is judged).
    let over_http: Vec<&serde_json::Value> = json["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["what"].as_str().is_some_and(|w| w.contains("the issue flow's CSR step")))
        .collect();
    assert_eq!(over_http.len(), 2, "{json}");
    assert!(over_http.iter().all(|r| r["value"].as_f64().is_some_and(|v| v > 0.0)), "{json}");
    // Every issuance row's reference is OpenSSL read around it, not a reading from the start:
    // the HTTP rows and the in-process rows below them alike.
    let bracketed = |r: &&serde_json::Value| {
        r["reference"]["what"].as_str().is_some_and(|w| w.contains("just before and just after"))
    };
    assert!(over_http.iter().all(bracketed), "{json}");
    let issuance: Vec<&serde_json::Value> = json["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["section"] == "issuance")
        .collect();
    assert_eq!(issuance.len(), 6, "two HTTP rows, two in-process rows per CA: {json}");
    assert!(issuance.iter().all(bracketed), "{json}");
    for ca in ["RSA-2048 CA", "P-256 CA"] {
        for rows in ["HTTP row", "in-process rows"] {
            let note = format!("just before and just after the {ca} {rows}");
            assert!(table.contains(&note), "no {note:?} in the notes:\n{table}");
        }
    }
    assert!(!out.join("work").exists(), "the work directory is left behind");
}

/// `dojang bench csr-step`: flows prepared once, then replayed twice, each time against a fresh
/// copy of the prepared center (a replay against the same store would find its flows finished
/// and be refused); each try prints one JSON line.
#[test]
fn prepared_csr_steps_replay_against_a_fresh_copy_each_time() {
    use support::fails;
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().join("csr");
    let w = work.display().to_string();
    let said = fails(DOJANG, &["bench", "csr-step", "replay", "--dir", &w], dir.path());
    assert!(said.contains("run prepare first"), "{said}");
    let prepared = ok(
        DOJANG,
        &["bench", "csr-step", "prepare", "--dir", &w, "--flows", "6", "--clients", "2"],
        dir.path(),
    );
    assert!(prepared.contains("6 issue flows run to their CSR step"), "{prepared}");
    let again = fails(DOJANG, &["bench", "csr-step", "prepare", "--dir", &w], dir.path());
    assert!(again.contains("already holds a center"), "{again}");
    let printed = ok(
        DOJANG,
        &["bench", "csr-step", "replay", "--dir", &w, "--connections", "2", "--tries", "2"],
        dir.path(),
    );
    let tries: Vec<serde_json::Value> = printed
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(tries.len(), 2, "{printed}");
    for t in &tries {
        // Two of the six are the connections' warm-ups.
        assert_eq!(t["certificates"], 4, "{t}");
        assert!(t["server_cpu_us"].as_f64().is_some(), "{t}");
    }
    assert!(!work.join("replay").exists(), "the copy is left behind");
}
