//! The staff commands with the real binary: enrolment from a JSON file and from flags with
//! secrets in the environment, show / list / lock / unlock, the printed security card, the
//! simulated phone (`dojang phone`), and `admin audit verify` before and after one row of the
//! audit log is edited behind its back.

mod support;

use std::process::{Command, Output};
use std::sync::Arc;

use dojang_identity::{otp_code_at, Answer, Check, Identity, IdentityError, Limits};
use dojang_outside::Simulator;
use dojang_store::Store;
use dojang_vault::Vault;
use support::{ok, text, TestCenter, DOJANG};
use time::OffsetDateTime;

const RRN: &str = "900101-1234567";
const PASSWORD: &str = "hong2024pass";

fn enrol_json() -> String {
    serde_json::json!({
        "kind": "person",
        "name": "홍길동",
        "rrn": RRN,
        "phone": "010-1234-5678",
        "email": "hong@example.com",
        "address": "서울특별시 중구 세종대로 110",
        "banking_id": "hong1234",
        "banking_password": PASSWORD,
        "accounts": [
            { "number": "123-456-789012", "password": "4321", "balance": 100000 },
            { "number": "123-456-000001", "password": "8765", "balance": 0 }
        ],
        "id_card": { "kind": "resident", "issue_date": "2015-03-02" },
        "second_factor": "security-card"
    })
    .to_string()
}

/// `dojang <args> --data <dir>` with extra environment variables.
fn dojang_env(c: &TestCenter, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(DOJANG);
    cmd.args(args).arg("--data").arg(&c.data).current_dir(c.dir.path());
    cmd.env_remove("DOJANG_DATA").env_remove("DOJANG_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run dojang")
}

fn dojang_ok(c: &TestCenter, args: &[&str]) -> String {
    let o = c.dojang(args);
    assert!(o.status.success(), "dojang {args:?} failed:\n{}", text(&o));
    text(&o)
}

/// The codes of the printed security card: "01  1234    02  5678 …".
fn card_codes(printout: &str) -> Vec<String> {
    let mut codes = vec![String::new(); 30];
    for line in printout.lines().filter(|l| l.starts_with(|c: char| c.is_ascii_digit())) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        for pair in tokens.chunks(2) {
            if let [n, code] = pair {
                if let Ok(n) = n.parse::<usize>() {
                    if (1..=30).contains(&n)
                        && code.len() == 4
                        && code.bytes().all(|b| b.is_ascii_digit())
                    {
                        codes[n - 1] = code.to_string();
                    }
                }
            }
        }
    }
    codes
}

/// The center's store and identity checks, opened beside the binary as a flow would.
fn identity(c: &TestCenter) -> (tokio::runtime::Runtime, Store, Identity) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let passphrase = std::fs::read_to_string(c.data.join("DEMO-ONLY-ca-passphrase.txt"))
        .expect("demo passphrase");
    let passphrase = passphrase.lines().next().expect("line").to_string();
    let (vault, created) =
        Vault::open_or_create(&c.data.join("vault.key"), passphrase.as_bytes()).expect("vault");
    assert!(!created, "enrolment made the vault");
    let vault = Arc::new(vault);
    let store = rt.block_on(Store::open_sqlite(&c.data.join("dojang.sqlite3"))).expect("store");
    let sim = Arc::new(Simulator::new(store.clone(), vault.clone()));
    let id = Identity::new(store.clone(), vault, sim, Limits::default());
    (rt, store, id)
}

#[test]
fn staff_enrol_look_up_lock_unlock_and_the_audit_log_catches_an_edit() {
    let c = TestCenter::new();
    let file = c.path("hong.json");
    std::fs::write(&file, enrol_json()).expect("write");

    // Enrolment from a file: the card is printed once, the RRN only masked.
    let out = dojang_ok(
        &c,
        &["admin", "customer", "add", "--from", &file.display().to_string(), "--staff", "kim"],
    );
    assert!(out.contains("enrolled (고객 등록 완료)"), "{out}");
    assert!(out.contains("900101-1******"), "{out}");
    for secret in ["900101-1234567", "9001011234567", PASSWORD] {
        assert!(!out.contains(secret), "{secret} printed:\n{out}");
    }
    // The account passwords (4 digits) are nowhere before the card's random codes.
    let before_card = out.split("보안카드 (security card)").next().unwrap_or_default();
    assert!(!before_card.contains("4321") && !before_card.contains("8765"), "{out}");
    assert!(out.contains("account      123456789012  balance 100,000원"), "{out}");
    assert!(out.contains("id card      주민등록증, issued 2015-03-02"), "{out}");
    assert!(out.contains("보안카드 (security card)  일련번호 (serial) "), "{out}");
    let codes = card_codes(&out);
    assert!(codes.iter().all(|c| c.len() == 4), "30 codes of 4 digits:\n{out}");
    let serial = support::line_value(&out, "보안카드 (security card)  일련번호 (serial)");
    assert_eq!(serial.len(), 10);

    // A file with the RRN or an account password typed as a number: refused, naming the field,
    // never repeating the number.
    let typed = c.path("typed.json");
    for (pointer, number, field) in [
        ("/rrn", 9001011234567u64, "`rrn`"),
        ("/accounts/0/password", 48213579, "`accounts[0].password`"),
    ] {
        let mut doc: serde_json::Value = serde_json::from_str(&enrol_json()).expect("json");
        *doc.pointer_mut(pointer).expect("field") = serde_json::json!(number);
        std::fs::write(&typed, doc.to_string()).expect("write");
        let o = c.dojang(&["admin", "customer", "add", "--from", &typed.display().to_string()]);
        let said = text(&o);
        assert!(!o.status.success());
        assert!(said.contains(&format!("{field} must be a string")), "{said}");
        assert!(!said.contains(&number.to_string()), "{said}");
    }

    // The same ID again is refused, saying what is taken.
    let again = c.dojang(&["admin", "customer", "add", "--from", &file.display().to_string()]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("the internet banking ID is already registered"),
        "{}",
        text(&again)
    );

    // A second customer from flags, secrets from the environment, an OTP device, JSON out.
    let o = dojang_env(
        &c,
        &[
            "admin",
            "customer",
            "add",
            "--name",
            "김철수",
            "--phone",
            "010-9876-5432",
            "--email",
            "kim@example.com",
            "--address",
            "부산광역시",
            "--banking-id",
            "Kim5678",
            "--account",
            "333-22-1111111:5000",
            "--second-factor",
            "otp",
            "--json",
        ],
        &[
            ("DOJANG_CUSTOMER_RRN", "850505-2345678"),
            ("DOJANG_CUSTOMER_PASSWORD", "kimpass2024"),
            ("DOJANG_ACCOUNT_PASSWORD", "2468"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let kim: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let otp_secret = kim["otp"]["secret_base32"].as_str().expect("otp secret").to_string();
    assert!(kim["otp"]["uri"].as_str().expect("uri").starts_with("otpauth://totp/"));
    assert!(kim["security_card"].is_null());

    // A business by its registration number, no RRN needed.
    let o = dojang_env(
        &c,
        &[
            "admin",
            "customer",
            "add",
            "--name",
            "도장상사(주)",
            "--business-number",
            "123-45-67890",
            "--phone",
            "010-5555-6666",
            "--email",
            "corp@example.com",
            "--address",
            "서울",
            "--banking-id",
            "dojangcorp",
            "--account",
            "777-77-7777777:1000000",
            "--second-factor",
            "none",
        ],
        &[("DOJANG_CUSTOMER_PASSWORD", "corppass2024"), ("DOJANG_ACCOUNT_PASSWORD", "1357")],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("business no  123-45-67890"), "{}", text(&o));

    // Show and list.
    let show = dojang_ok(&c, &["admin", "customer", "show", "hong1234"]);
    assert!(show.contains("status       active (정상)"), "{show}");
    assert!(
        show.contains(&format!("security card  serial {serial}: ok, 0 failure(s) in a row")),
        "{show}"
    );
    assert!(show.contains("900101-1******") && !show.contains("900101-1234567"), "{show}");
    let show2 = dojang_ok(&c, &["admin", "customer", "show", "2"]);
    assert!(show2.contains("banking id   kim5678"), "{show2}");
    assert!(show2.contains("850505-2******"), "{show2}");
    let list = dojang_ok(&c, &["admin", "customer", "list"]);
    assert!(
        list.contains("hong1234") && list.contains("kim5678") && list.contains("dojangcorp"),
        "{list}"
    );
    assert!(list.contains("3 customer(s)"), "{list}");
    let missing = c.dojang(&["admin", "customer", "show", "nobody"]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no customer \"nobody\""), "{}", text(&missing));

    // Staff lock and unlock.
    let out = dojang_ok(
        &c,
        &[
            "admin",
            "customer",
            "lock",
            "hong1234",
            "--reason",
            "보이스피싱 의심 신고",
            "--staff",
            "kim",
        ],
    );
    assert!(out.contains("locked       customer 1 (홍길동): 보이스피싱 의심 신고"), "{out}");
    let show = dojang_ok(&c, &["admin", "customer", "show", "1"]);
    assert!(show.contains("LOCKED (잠김)") && show.contains("보이스피싱 의심 신고"), "{show}");
    assert!(dojang_ok(&c, &["admin", "customer", "list", "--locked"]).contains("1 customer(s)"));
    let (rt, store, id) = identity(&c);
    let hong = rt.block_on(store.customer(1)).expect("read").expect("hong");
    let refused = rt.block_on(id.start(Check::Sms, &hong, "flow-a", OffsetDateTime::now_utc()));
    assert!(matches!(refused, Err(IdentityError::CustomerLocked)), "{refused:?}");
    let out = dojang_ok(&c, &["admin", "customer", "unlock", "hong1234"]);
    assert!(out.contains("unlocked     customer 1 (홍길동): customer lock (고객 잠금)"), "{out}");

    // The simulated phone shows what the identity checks sent.
    let now = OffsetDateTime::now_utc();
    rt.block_on(id.start(Check::Sms, &hong, "flow-a", now)).expect("sms");
    rt.block_on(id.start(Check::Ars, &hong, "flow-a", now)).expect("ars");
    rt.block_on(id.start(Check::OneWonTransfer, &hong, "flow-a", now)).expect("one won");
    let phone = dojang_ok(&c, &["phone", "010-1234-5678"]);
    assert!(phone.contains("문자 (sms) → 01012345678"), "{phone}");
    assert!(phone.contains("[도장은행] 인증번호 ["), "{phone}");
    assert!(phone.contains("ARS 전화 (ars)") && phone.contains("승인번호는 ["), "{phone}");
    assert!(phone.find("(sms)") < phone.find("(ars)"), "oldest first:\n{phone}");
    let sms_code = dojang_outside::find_code(&phone).expect("code on the phone");
    rt.block_on(id.answer(Check::Sms, &hong, "flow-a", &Answer::Code(sms_code), now))
        .expect("the code from `dojang phone` passes");
    let last = dojang_ok(&c, &["phone", "01012345678", "--last", "1"]);
    assert!(last.contains("(ars)") && !last.contains("(sms)"), "{last}");
    let account = dojang_ok(&c, &["phone", "123-456-789012"]);
    assert!(
        account.contains("입금 알림 (transfer)")
            && account.contains("입금 1원 | 보낸 분(적요): [도장 "),
        "{account}"
    );
    assert!(dojang_ok(&c, &["admin", "customer", "show", "1"]).contains("balance 100,001원"));
    assert!(dojang_ok(&c, &["phone", "010-0000-0000"]).contains("받은 메시지가 없습니다"));

    // Five wrong security-card answers lock the card; staff unlock it.
    let mut round = 0;
    let mut locked = None;
    while locked.is_none() {
        let prompt = rt.block_on(id.start(Check::SecurityCard, &hong, "flow-b", now)).expect("ask");
        let q = prompt.card.expect("positions");
        for _ in 0..3 {
            let first = &codes[usize::from(q.first) - 1][..2];
            let wrong = format!("{:02}", (first.parse::<u32>().expect("digits") + 1) % 100);
            let second = codes[usize::from(q.second) - 1][2..].to_string();
            let r = rt.block_on(id.answer(
                Check::SecurityCard,
                &hong,
                "flow-b",
                &Answer::SecurityCard { first: wrong, second },
                now,
            ));
            round += 1;
            if let Err(e @ IdentityError::Locked { .. }) = r {
                locked = Some(e);
                break;
            }
        }
        assert!(round <= 5, "the card should lock at the fifth wrong answer");
    }
    assert_eq!(round, 5);
    let show = dojang_ok(&c, &["admin", "customer", "show", "hong1234"]);
    assert!(show.contains(&format!("security card  serial {serial}: LOCKED (잠김)")), "{show}");
    let out = dojang_ok(&c, &["admin", "customer", "unlock", "1", "--staff", "park"]);
    assert!(out.contains("security card (보안카드)"), "{out}");
    let prompt =
        rt.block_on(id.start(Check::SecurityCard, &hong, "flow-c", now)).expect("ask after unlock");
    let q = prompt.card.expect("positions");
    let right = Answer::SecurityCard {
        first: codes[usize::from(q.first) - 1][..2].to_string(),
        second: codes[usize::from(q.second) - 1][2..].to_string(),
    };
    rt.block_on(id.answer(Check::SecurityCard, &hong, "flow-c", &right, now))
        .expect("the printed card works");

    // The OTP secret shown at enrolment works in the device.
    let kim_c = rt.block_on(store.customer(2)).expect("read").expect("kim");
    let code = otp_code_at(&otp_secret, now).expect("device");
    rt.block_on(id.answer(Check::SecondFactor, &kim_c, "flow-d", &Answer::Otp(code), now))
        .expect("otp");
    drop(id);
    rt.block_on(store.close());

    // The audit log verifies…
    let out = dojang_ok(&c, &["admin", "audit", "verify"]);
    assert!(out.contains("audit log intact:"), "{out}");
    let entries: i64 = support::line_value(&out, "audit log intact:")
        .trim_end_matches(" entries")
        .parse()
        .expect("count");
    assert!(entries >= 20, "{out}");
    let db = c.data.join("dojang.sqlite3").display().to_string();
    let dump = ok("python3", &["-c", "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nfor r in c.execute('select actor, action, subject, detail from audit_log'): print(*r)", &db], c.dir.path());
    for secret in
        ["9001011234567", "900101-1234567", "8505052345678", PASSWORD, "kimpass2024", &otp_secret]
    {
        assert!(!dump.contains(secret), "{secret} in the audit log:\n{dump}");
    }
    for pin in ["4321", "8765", "2468", "1357"] {
        assert!(!dump.contains(&format!("\"{pin}\"")), "{pin} in the audit log:\n{dump}");
    }
    assert!(dump.contains("staff:kim customer.enrol customer:1"), "{dump}");
    assert!(dump.contains("identity.security_card.lock"), "{dump}");
    assert!(dump.contains("staff:park customer.unlock customer:1"), "{dump}");

    // …and not after one row is changed behind its back.
    ok("python3", &["-c", "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.execute(\"update audit_log set detail='{}' where seq=3\")\nc.commit()", &db], c.dir.path());
    let o = c.dojang(&["admin", "audit", "verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("BROKEN at entry 3"), "{}", text(&o));
}
