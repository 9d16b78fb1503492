//! Every identity check end to end against a real store, vault and the simulated outside
//! world: right answers pass once, wrong ones count down and lock, codes expire, money moves
//! exactly, every failure is audited, and no secret leaks into an error, a Debug string or
//! the audit log.

use std::sync::Arc;

use dojang_identity::{
    otp_code_at, AccountSpec, Answer, Check, Customer, CustomerKind, Enrolled, Enrolment,
    IdCardSpec, Identity, IdentityError, Limits, LockedThing, Missing, SecondFactorKind,
};
use dojang_npki::vid::Rrn;
use dojang_outside::{find_code, IdCard, IdCardKind, Simulator};
use dojang_store::{Actor, AuditVerdict, Channel, Store};
use dojang_vault::Vault;
use time::macros::date;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

const RRN: &str = "900101-1234567";
const PASSWORD: &str = "hong2024pass";
const PHONE: &str = "010-1234-5678";
const ACCOUNT: &str = "123-456-789012";
const ACCOUNT_PW: &str = "4321";

struct Bed {
    _dir: tempfile::TempDir,
    store: Store,
    sim: Arc<Simulator>,
    id: Identity,
    /// Every secret handed out, to prove none leaks.
    secrets: Vec<String>,
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
}

async fn bed() -> Bed {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_sqlite(&dir.path().join("db.sqlite3")).await.expect("store");
    let (vault, _) = Vault::open_or_create(&dir.path().join("vault.key"), b"pass").expect("vault");
    let vault = Arc::new(vault);
    let sim = Arc::new(Simulator::new(store.clone(), vault.clone()));
    let id = Identity::new(store.clone(), vault, sim.clone(), Limits::default());
    Bed {
        _dir: dir,
        store,
        sim,
        id,
        secrets: vec![RRN.into(), "9001011234567".into(), PASSWORD.into()],
    }
}

fn enrolment(banking_id: &str, rrn: &str, second: SecondFactorKind) -> Enrolment {
    Enrolment {
        kind: CustomerKind::Person,
        name: "홍길동".into(),
        rrn: Some(Rrn::new(rrn).expect("rrn")),
        business_number: None,
        phone: PHONE.into(),
        email: "hong@example.com".into(),
        address: "서울특별시 중구 세종대로 110".into(),
        banking_id: banking_id.into(),
        banking_password: Zeroizing::new(PASSWORD.into()),
        accounts: vec![AccountSpec {
            number: if banking_id == "hong1234" {
                ACCOUNT.into()
            } else {
                format!("200{}", &rrn.replace('-', "")[..9])
            },
            password: Zeroizing::new(ACCOUNT_PW.into()),
            balance: 50_000,
        }],
        id_card: Some(IdCardSpec {
            kind: IdCardKind::Resident,
            number: Zeroizing::new(rrn.into()),
            issue_date: date!(2015 - 03 - 02),
        }),
        second_factor: second,
    }
}

impl Bed {
    async fn enrol(&mut self, second: SecondFactorKind) -> (Customer, Enrolled) {
        let enrolled = self
            .id
            .enrol(&enrolment("hong1234", RRN, second), Actor::Operator, t0())
            .await
            .expect("enrol");
        if let Some(card) = &enrolled.security_card {
            self.secrets.extend((1..=30).filter_map(|n| card.code(n)).map(String::from));
        }
        if let Some(otp) = &enrolled.otp {
            self.secrets.push(otp.secret_base32().to_string());
        }
        let customer =
            self.store.customer(enrolled.customer_id).await.expect("read").expect("there");
        (customer, enrolled)
    }

    /// The code in the newest message to `address`.
    async fn latest_code(&mut self, address: &str) -> String {
        let all = self.store.list_inbox(address, 0).await.expect("inbox");
        let last = all.last().expect("a message");
        let code = find_code(&last.body).expect("a code in the message");
        self.secrets.push(code.clone());
        code
    }

    /// Every audit entry so far must be intact and free of every secret handed out.
    async fn audit_is_clean(&self) -> Vec<dojang_store::AuditEntry> {
        assert!(matches!(
            self.store.verify_audit().await.expect("verify"),
            AuditVerdict::Intact { .. }
        ));
        let entries = self.store.audit_entries(0, 10_000).await.expect("entries");
        for e in &entries {
            let text = format!("{} {} {} {}", e.actor, e.action, e.subject, e.detail);
            for s in &self.secrets {
                // Security-card codes are 4 digits and may occur by chance inside serials or
                // counts; look for them only where a code would be written whole.
                let hit = if s.len() <= 4 {
                    text.contains(&format!("\"{s}\""))
                } else {
                    text.contains(s)
                };
                assert!(!hit, "secret {s:?} in audit entry {text}");
            }
        }
        entries
    }

    fn assert_no_secret(&self, e: &IdentityError) {
        let shown = format!("{e} | {e:?} | {} | {}", e.message_ko(), e.message_en());
        for s in &self.secrets {
            if s.len() > 4 {
                assert!(!shown.contains(s), "secret {s:?} in error {shown}");
            }
        }
    }
}

fn count(entries: &[dojang_store::AuditEntry], action: &str) -> usize {
    entries.iter().filter(|e| e.action == action).count()
}

#[tokio::test]
async fn sms_code_passes_once_and_wrong_codes_count_down_then_the_code_dies() {
    let mut b = bed().await;
    let (c, _) = b.enrol(SecondFactorKind::SecurityCard).await;
    let prompt = b.id.start(Check::Sms, &c, "flow-1", t0()).await.expect("start");
    assert_eq!(prompt.sent_to.as_deref(), Some("010-****-5678"));
    assert_eq!(prompt.expires_at, Some(t0() + Duration::minutes(3)));
    assert!(prompt.ko.contains("010-****-5678로 인증번호를 보냈습니다"), "{}", prompt.ko);
    let code = b.latest_code(PHONE).await;
    let msg = b.store.list_inbox(PHONE, 0).await.expect("inbox");
    assert_eq!(msg[0].channel, Channel::Sms);
    assert!(msg[0].body.starts_with("[도장은행] 인증번호 ["), "{}", msg[0].body);

    let passed =
        b.id.answer(Check::Sms, &c, "flow-1", &Answer::Code(code.clone()), t0())
            .await
            .expect("pass");
    assert_eq!(passed.check, Check::Sms);
    let again = b.id.answer(Check::Sms, &c, "flow-1", &Answer::Code(code.clone()), t0()).await;
    assert!(matches!(again, Err(IdentityError::AlreadyUsed { check: Check::Sms })), "{again:?}");

    // A new code; three wrong answers, then even the right one is refused.
    b.id.start(Check::Sms, &c, "flow-1", t0()).await.expect("start");
    let code = b.latest_code(PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in [2, 1, 0] {
        let err =
            b.id.answer(Check::Sms, &c, "flow-1", &Answer::Code(wrong.into()), t0())
                .await
                .expect_err("wrong");
        assert!(
            matches!(err, IdentityError::WrongAnswer { check: Check::Sms, attempts_left } if attempts_left == left),
            "{err:?}"
        );
        b.assert_no_secret(&err);
    }
    let dead =
        b.id.answer(Check::Sms, &c, "flow-1", &Answer::Code(code), t0()).await.expect_err("dead");
    assert!(matches!(dead, IdentityError::TooManyAttempts { check: Check::Sms }), "{dead:?}");
    assert!(dead.message_ko().contains("인증번호를 다시 요청"), "{}", dead.message_ko());

    // Malformed answers are refused without counting.
    let err =
        b.id.answer(Check::Sms, &c, "flow-1", &Answer::Code("12ab".into()), t0())
            .await
            .expect_err("malformed");
    assert!(matches!(err, IdentityError::Malformed { .. }));

    // Another flow's code does not answer this one.
    let err =
        b.id.answer(Check::Sms, &c, "flow-2", &Answer::Code("123456".into()), t0())
            .await
            .expect_err("other flow");
    assert!(matches!(err, IdentityError::NotStarted { check: Check::Sms }));

    let entries = b.audit_is_clean().await;
    assert_eq!(count(&entries, "identity.sms.sent"), 2);
    assert_eq!(count(&entries, "identity.sms.pass"), 1);
    // used again, 3 wrong, dead, malformed, not started
    assert_eq!(count(&entries, "identity.sms.fail"), 7);
    assert!(entries
        .iter()
        .filter(|e| e.action.starts_with("identity.sms"))
        .all(|e| e.actor == format!("customer:{}", c.id)));
}

#[tokio::test]
async fn ars_approval_number_expires_after_three_minutes_and_resends_are_limited() {
    let mut b = bed().await;
    let (c, _) = b.enrol(SecondFactorKind::SecurityCard).await;
    let prompt = b.id.start(Check::Ars, &c, "f", t0()).await.expect("call");
    assert!(prompt.ko.contains("ARS 전화"), "{}", prompt.ko);
    let script = b.store.list_inbox("01012345678", 0).await.expect("inbox");
    assert_eq!(script[0].channel, Channel::Ars);
    assert!(script[0].body.contains("승인번호는 ["), "{}", script[0].body);
    let code = b.latest_code(PHONE).await;
    let late = t0() + Duration::minutes(3);
    let err =
        b.id.answer(Check::Ars, &c, "f", &Answer::Code(code.clone()), late)
            .await
            .expect_err("expired");
    assert!(matches!(err, IdentityError::Expired { check: Check::Ars }));
    assert!(err.message_ko().contains("입력 시간이 지났습니다"), "{}", err.message_ko());
    b.assert_no_secret(&err);

    // Just inside the time it passes.
    b.id.start(Check::Ars, &c, "f", t0()).await.expect("call");
    let code = b.latest_code(PHONE).await;
    let inside = t0() + Duration::minutes(3) - Duration::seconds(1);
    b.id.answer(Check::Ars, &c, "f", &Answer::Code(code), inside).await.expect("pass");

    // Five codes of a kind per flow at most.
    for _ in 0..3 {
        b.id.start(Check::Ars, &c, "f", t0()).await.expect("call");
    }
    let err = b.id.start(Check::Ars, &c, "f", t0()).await.expect_err("limit");
    assert!(matches!(err, IdentityError::TooManyRequests { check: Check::Ars }));
    b.audit_is_clean().await;
}

#[tokio::test]
async fn new_flows_do_not_give_a_guesser_new_phone_codes_without_end() {
    let mut b = bed().await;
    let (c, _) = b.enrol(SecondFactorKind::SecurityCard).await;
    let limits = Limits::default();
    let per_flow = limits.sends_per_flow;
    let per_day = limits.unanswered_per_day;
    assert!(per_day > per_flow, "the day's bound spans flows");
    // A code answered rightly is not counted.
    b.id.start(Check::Ars, &c, "ok", t0()).await.expect("call");
    let code = b.latest_code(PHONE).await;
    b.id.answer(Check::Ars, &c, "ok", &Answer::Code(code), t0()).await.expect("pass");

    // A guesser restarts the ARS check as often as a flow allows, each code taking every
    // wrong answer, then starts new flows to go on.
    let wrong = Answer::Code("000000".into());
    let mut sent = 0;
    let mut flow = 0;
    let at = |i: u32| t0() + Duration::minutes(i64::from(i));
    let err = loop {
        let f = format!("flow-{flow}");
        match b.id.start(Check::Ars, &c, &f, at(sent)).await {
            Ok(_) => {
                sent += 1;
                for _ in 0..limits.attempts_per_challenge {
                    let _ = b.id.answer(Check::Ars, &c, &f, &wrong, at(sent)).await;
                }
            }
            Err(IdentityError::TooManyRequests { .. }) => flow += 1,
            Err(e) => break e,
        }
        assert!(sent <= per_day, "more than {per_day} codes went out");
    };
    assert_eq!(sent, per_day);
    assert!(flow >= 1, "the per-flow bound came first");
    assert!(
        matches!(err, IdentityError::TooManyRequestsToday { check: Check::Ars, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "too-many-requests-today");
    assert!(err.message_ko().contains("24시간"), "{}", err.message_ko());
    b.assert_no_secret(&err);
    // Another new flow does not help either…
    let err = b.id.start(Check::Ars, &c, "yet-another", at(sent)).await.expect_err("bounded");
    assert!(matches!(err, IdentityError::TooManyRequestsToday { .. }), "{err:?}");
    // …but the window passes by itself.
    let later = t0() + Duration::days(1) + Duration::hours(1);
    b.id.start(Check::Ars, &c, "tomorrow", later).await.expect("a day later");
    let entries = b.audit_is_clean().await;
    assert!(entries.iter().any(|e| e.detail.contains("too-many-requests-today")));
}

fn card_answer(enrolled: &Enrolled, first: u8, second: u8) -> Answer {
    let card = enrolled.security_card.as_ref().expect("card");
    let a = card.code(first).expect("code");
    let b = card.code(second).expect("code");
    Answer::SecurityCard { first: a[..2].to_string(), second: b[2..].to_string() }
}

fn wrong_card_answer(enrolled: &Enrolled, first: u8, second: u8) -> Answer {
    let card = enrolled.security_card.as_ref().expect("card");
    let a = &card.code(first).expect("code")[..2];
    let b = &card.code(second).expect("code")[2..];
    let flip = |s: &str| format!("{:02}", (s.parse::<u32>().expect("digits") + 1) % 100);
    Answer::SecurityCard { first: flip(a), second: b.to_string() }
}

#[tokio::test]
async fn security_card_locks_after_five_wrong_answers_until_staff_unlock() {
    let mut b = bed().await;
    let (c, enrolled) = b.enrol(SecondFactorKind::SecurityCard).await;
    let p = b.id.start(Check::SecondFactor, &c, "f", t0()).await.expect("start");
    assert_eq!(p.check, Check::SecurityCard);
    let q = p.card.expect("positions");
    assert_ne!(q.first, q.second);
    assert!(p.ko.contains(&format!("{:02}번 코드의 앞 2자리", q.first)), "{}", p.ko);
    let passed =
        b.id.answer(Check::SecondFactor, &c, "f", &card_answer(&enrolled, q.first, q.second), t0())
            .await
            .expect("right");
    assert_eq!(passed.check, Check::SecurityCard);

    // Five wrong in a row, over two challenges (3 + 2), lock the card.
    let mut errors = Vec::new();
    for round in 0..5 {
        if round % 3 == 0 {
            let p = b.id.start(Check::SecurityCard, &c, "f", t0()).await.expect("start");
            let q = p.card.expect("positions");
            errors.push((q.first, q.second));
        }
        let &(f, s) = errors.last().expect("asked");
        let err =
            b.id.answer(Check::SecurityCard, &c, "f", &wrong_card_answer(&enrolled, f, s), t0())
                .await
                .expect_err("wrong");
        b.assert_no_secret(&err);
        if round < 4 {
            assert!(
                matches!(err, IdentityError::WrongAnswer { check: Check::SecurityCard, .. }),
                "{err:?}"
            );
        } else {
            assert!(
                matches!(err, IdentityError::Locked { what: LockedThing::SecurityCard, limit: 5 }),
                "{err:?}"
            );
            assert_eq!(
                err.message_ko(),
                "보안카드 입력 오류가 5회 연속되어 보안카드가 잠겼습니다. 신분증을 가지고 영업점을 방문하거나 고객센터(평일 09:00–18:00)에 문의해 주세요."
            );
        }
    }
    // Locked: no new challenge, and even a right answer to the old one is refused.
    let err = b.id.start(Check::SecurityCard, &c, "f", t0()).await.expect_err("locked");
    assert!(matches!(err, IdentityError::Locked { what: LockedThing::SecurityCard, .. }));

    let unlocked =
        b.id.unlock_customer(c.id, Actor::Staff("kim".into()), t0()).await.expect("unlock");
    assert!(unlocked.security_card && !unlocked.customer);
    let p = b.id.start(Check::SecurityCard, &c, "f2", t0()).await.expect("start after unlock");
    let q = p.card.expect("positions");
    assert_eq!(p.attempts_left, Some(3));
    b.id.answer(Check::SecurityCard, &c, "f2", &card_answer(&enrolled, q.first, q.second), t0())
        .await
        .expect("right after unlock");

    let entries = b.audit_is_clean().await;
    assert_eq!(count(&entries, "identity.security_card.lock"), 1);
    assert_eq!(count(&entries, "identity.security_card.fail"), 6);
    assert_eq!(count(&entries, "customer.unlock"), 1);
    let unlock = entries.iter().find(|e| e.action == "customer.unlock").expect("unlock entry");
    assert_eq!(unlock.actor, "staff:kim");
    let shown = format!("{enrolled:?}");
    assert!(shown.contains("<codes redacted>"), "{shown}");
}

#[tokio::test]
async fn a_right_answer_resets_the_count_of_failures_in_a_row() {
    let mut b = bed().await;
    let (c, _) = b.enrol(SecondFactorKind::None).await;
    let answer =
        |pw: &str| Answer::AccountPassword { account: ACCOUNT.into(), password: pw.into() };
    for _ in 0..4 {
        b.id.answer(Check::AccountPassword, &c, "f", &answer("0000"), t0())
            .await
            .expect_err("wrong");
    }
    let passed =
        b.id.answer(Check::AccountPassword, &c, "f", &answer(ACCOUNT_PW), t0())
            .await
            .expect("right");
    assert_eq!(passed.account.as_deref(), Some("123456789012"));
    for left in [4, 3, 2, 1] {
        let err =
            b.id.answer(Check::AccountPassword, &c, "f", &answer("0000"), t0())
                .await
                .expect_err("wrong");
        assert!(
            matches!(err, IdentityError::WrongAnswer { attempts_left, .. } if attempts_left == left),
            "{err:?}"
        );
    }
    let err =
        b.id.answer(Check::AccountPassword, &c, "f", &answer("0000"), t0())
            .await
            .expect_err("fifth");
    assert!(
        matches!(err, IdentityError::Locked { what: LockedThing::AccountPassword, limit: 5 }),
        "{err:?}"
    );
    assert!(
        err.message_ko()
            .contains("계좌 비밀번호 입력 오류가 5회 연속되어 계좌 비밀번호가 잠겼습니다"),
        "{}",
        err.message_ko()
    );
    // Locked: the right password is refused too.
    let err =
        b.id.answer(Check::AccountPassword, &c, "f", &answer(ACCOUNT_PW), t0())
            .await
            .expect_err("locked");
    assert!(matches!(err, IdentityError::Locked { what: LockedThing::AccountPassword, .. }));
    let unlocked = b.id.unlock_customer(c.id, Actor::Operator, t0()).await.expect("unlock");
    assert_eq!(unlocked.accounts, ["123456789012"]);
    b.id.answer(Check::AccountPassword, &c, "f", &answer(ACCOUNT_PW), t0())
        .await
        .expect("after unlock");

    // Someone else's account, or none, is the same refusal.
    let err =
        b.id.answer(
            Check::AccountPassword,
            &c,
            "f",
            &Answer::AccountPassword { account: "999-999-999999".into(), password: "1234".into() },
            t0(),
        )
        .await
        .expect_err("not theirs");
    assert!(matches!(err, IdentityError::AccountNotFound));
    b.secrets.push(ACCOUNT_PW.into());
    let entries = b.audit_is_clean().await;
    assert_eq!(count(&entries, "identity.account_password.lock"), 1);
}

#[tokio::test]
async fn otp_accepts_a_code_once_and_locks_after_five_wrong() {
    let mut b = bed().await;
    let (c, enrolled) = b.enrol(SecondFactorKind::Otp).await;
    let otp = enrolled.otp.as_ref().expect("otp");
    assert!(otp.uri().starts_with("otpauth://totp/"), "{}", otp.uri());
    assert!(otp.uri().contains(&format!("secret={}", otp.secret_base32())));
    assert!(!format!("{enrolled:?}").contains(otp.secret_base32()));
    let p = b.id.start(Check::SecondFactor, &c, "f", t0()).await.expect("start");
    assert_eq!(p.check, Check::Otp);

    let code = otp_code_at(otp.secret_base32(), t0()).expect("device");
    b.secrets.push(code.clone());
    let passed =
        b.id.answer(Check::SecondFactor, &c, "f", &Answer::Otp(code.clone()), t0())
            .await
            .expect("pass");
    assert_eq!(passed.check, Check::Otp);
    // Replayed, even in the next step's window: refused, not counted.
    for later in [0, 20] {
        let err =
            b.id.answer(
                Check::Otp,
                &c,
                "f",
                &Answer::Otp(code.clone()),
                t0() + Duration::seconds(later),
            )
            .await
            .expect_err("replay");
        assert!(matches!(err, IdentityError::AlreadyUsed { check: Check::Otp }), "{err:?}");
    }
    // One step of drift either way is accepted (a fresh step).
    let next = otp_code_at(otp.secret_base32(), t0() + Duration::seconds(60)).expect("device");
    b.id.answer(Check::Otp, &c, "f", &Answer::Code(next), t0() + Duration::seconds(30))
        .await
        .expect("drift");

    let now = t0() + Duration::minutes(10);
    let right = otp_code_at(otp.secret_base32(), now).expect("device");
    let wrong = format!("{:06}", (right.parse::<u32>().expect("digits") + 1) % 1_000_000);
    for i in 0..5 {
        let err =
            b.id.answer(Check::Otp, &c, "f", &Answer::Otp(wrong.clone()), now)
                .await
                .expect_err("wrong");
        if i < 4 {
            assert!(
                matches!(err, IdentityError::WrongAnswer { check: Check::Otp, attempts_left } if attempts_left == 4 - i),
                "{err:?}"
            );
        } else {
            assert!(matches!(err, IdentityError::Locked { what: LockedThing::Otp, .. }), "{err:?}");
        }
    }
    let err =
        b.id.answer(Check::Otp, &c, "f", &Answer::Otp(right.clone()), now)
            .await
            .expect_err("locked");
    assert!(matches!(err, IdentityError::Locked { what: LockedThing::Otp, .. }));
    b.id.unlock_customer(c.id, Actor::Operator, now).await.expect("unlock");
    b.id.answer(Check::Otp, &c, "f", &Answer::Otp(right), now).await.expect("after unlock");

    // A card holder has no OTP.
    let card_holder =
        b.id.enrol(
            &enrolment("kim5678", "850505-2345678", SecondFactorKind::SecurityCard),
            Actor::Operator,
            t0(),
        )
        .await
        .expect("enrol");
    let kim = b.store.customer(card_holder.customer_id).await.expect("read").expect("there");
    let err = b.id.start(Check::Otp, &kim, "f", t0()).await.expect_err("no otp");
    assert!(matches!(err, IdentityError::NotEnrolled { what: Missing::Otp }));
    b.secrets.extend(["850505-2345678".to_string(), "8505052345678".to_string()]);
    let entries = b.audit_is_clean().await;
    assert!(entries.iter().any(|e| e.action == "identity.otp.fail"
        && e.subject == format!("customer:{}", kim.id)
        && e.detail.contains("\"reason\":\"not-enrolled\"")));
    assert_eq!(count(&entries, "identity.otp.lock"), 1);
    assert_eq!(count(&entries, "identity.otp.fail"), 5 + 2 + 1 + 1);
}

#[tokio::test]
async fn one_won_transfer_deposits_exactly_one_won_with_the_code_in_the_memo() {
    let mut b = bed().await;
    let (c, _) = b.enrol(SecondFactorKind::None).await;
    let before = b.store.account("123456789012").await.expect("read").expect("there").balance;
    assert_eq!(before, 50_000);
    let p = b.id.start(Check::OneWonTransfer, &c, "flow-9", t0()).await.expect("start");
    assert_eq!(p.sent_to.as_deref(), Some("123-*****-9012"));
    assert_eq!(p.expires_at, Some(t0() + Duration::minutes(10)));
    assert_eq!(p.digits, Some(4));
    let after = b.store.account("123456789012").await.expect("read").expect("there").balance;
    assert_eq!(after, before + 1);
    let ledger = b.store.ledger("123456789012").await.expect("ledger");
    assert_eq!(ledger.len(), 2, "{ledger:?}"); // opening deposit, one won
    let deposit = ledger.last().expect("entry");
    assert_eq!((deposit.amount, deposit.balance_after), (1, 50_001));
    assert_eq!(deposit.flow_id.as_deref(), Some("flow-9"));
    assert_eq!(b.store.ledger_of_flow("flow-9").await.expect("flow").len(), 1);
    let code = b.latest_code(ACCOUNT).await;
    assert_eq!(deposit.memo, format!("도장 {code}"));
    let notice = b.store.list_inbox(ACCOUNT, 0).await.expect("inbox");
    assert_eq!(notice[0].channel, Channel::Transfer);

    let wrong = if code == "0000" { "1111" } else { "0000" };
    let err =
        b.id.answer(Check::OneWonTransfer, &c, "flow-9", &Answer::Code(wrong.into()), t0())
            .await
            .expect_err("wrong");
    assert!(matches!(err, IdentityError::WrongAnswer { attempts_left: 2, .. }));
    let passed =
        b.id.answer(Check::OneWonTransfer, &c, "flow-9", &Answer::Code(code), t0())
            .await
            .expect("right");
    assert_eq!(passed.account.as_deref(), Some("123456789012"));

    // Not to someone else's account.
    let err =
        b.id.start_one_won(&c, "flow-9", "999-999-999999", t0()).await.expect_err("not theirs");
    assert!(matches!(err, IdentityError::AccountNotFound));
    b.audit_is_clean().await;
}

#[tokio::test]
async fn id_card_is_checked_with_the_issuer_and_bound_to_the_customer() {
    let mut b = bed().await;
    let (c, _) = b.enrol(SecondFactorKind::None).await;
    let answer = |number: &str, day| Answer::IdCard {
        kind: IdCardKind::Resident,
        number: number.into(),
        issue_date: day,
    };
    let err =
        b.id.answer(Check::IdCard, &c, "f", &answer(RRN, date!(2015 - 03 - 02)), t0())
            .await
            .expect_err("not started");
    assert!(matches!(err, IdentityError::NotStarted { check: Check::IdCard }));
    b.id.start(Check::IdCard, &c, "f", t0()).await.expect("start");
    let err =
        b.id.answer(Check::IdCard, &c, "f", &answer(RRN, date!(2016 - 03 - 02)), t0())
            .await
            .expect_err("wrong date");
    assert!(
        matches!(err, IdentityError::WrongAnswer { check: Check::IdCard, attempts_left: 2 }),
        "{err:?}"
    );
    b.assert_no_secret(&err);
    // Somebody else's genuine card is not this customer's.
    let other = enrolment("lee0000", "950505-1111111", SecondFactorKind::None);
    b.id.enrol(&other, Actor::Operator, t0()).await.expect("enrol other");
    b.secrets.extend(["950505-1111111".to_string(), "9505051111111".to_string()]);
    let err =
        b.id.answer(Check::IdCard, &c, "f", &answer("950505-1111111", date!(2015 - 03 - 02)), t0())
            .await
            .expect_err("not theirs");
    assert!(matches!(err, IdentityError::WrongAnswer { attempts_left: 1, .. }), "{err:?}");
    b.id.answer(Check::IdCard, &c, "f", &answer("9001011234567", date!(2015 - 03 - 02)), t0())
        .await
        .expect("genuine");
    let err =
        b.id.answer(Check::IdCard, &c, "f", &answer(RRN, date!(2015 - 03 - 02)), t0())
            .await
            .expect_err("used");
    assert!(matches!(err, IdentityError::AlreadyUsed { .. }));

    // A card reported lost is refused as such.
    let card = IdCard::new(IdCardKind::Resident, RRN, date!(2015 - 03 - 02), "홍길동");
    b.sim.report_lost(&card, t0()).await.expect("lost");
    b.id.start(Check::IdCard, &c, "g", t0()).await.expect("start");
    let err =
        b.id.answer(Check::IdCard, &c, "g", &answer(RRN, date!(2015 - 03 - 02)), t0())
            .await
            .expect_err("lost");
    assert!(matches!(err, IdentityError::IdCardReportedLost));
    assert!(err.message_ko().contains("분실 신고된 신분증"));
    b.audit_is_clean().await;
}

#[tokio::test]
async fn banking_login_locks_the_customer_and_the_id_rrn_step_does_not_say_which_was_wrong() {
    let mut b = bed().await;
    let (c, _) = b.enrol(SecondFactorKind::SecurityCard).await;
    let rrn = Rrn::new(RRN).expect("rrn");
    let found =
        b.id.find_customer("HONG1234", &rrn, t0())
            .await
            .expect("found (IDs are not case-sensitive)");
    assert_eq!(found.id, c.id);
    let unknown_id = b.id.find_customer("nobody", &rrn, t0()).await.expect_err("no such id");
    let wrong_rrn =
        b.id.find_customer("hong1234", &Rrn::new("900101-1234568").expect("rrn"), t0())
            .await
            .expect_err("wrong rrn");
    assert!(matches!(unknown_id, IdentityError::CustomerNotFound));
    assert!(matches!(wrong_rrn, IdentityError::CustomerNotFound));
    assert_eq!(unknown_id.message_ko(), wrong_rrn.message_ko());
    b.assert_no_secret(&wrong_rrn);

    let login = |pw: &str| Answer::BankingLogin { id: "hong1234".into(), password: pw.into() };
    b.id.answer(Check::BankingLogin, &c, "f", &login(PASSWORD), t0()).await.expect("right");
    for i in 0..5 {
        let err =
            b.id.answer(Check::BankingLogin, &c, "f", &login("wrong-pass-1"), t0())
                .await
                .expect_err("wrong");
        if i == 4 {
            assert!(
                matches!(err, IdentityError::Locked { what: LockedThing::BankingLogin, .. }),
                "{err:?}"
            );
        }
    }
    // The customer is locked now: every check and the ID + RRN step refuse.
    let err = b.id.start(Check::Sms, &c, "f", t0()).await.expect_err("locked");
    assert!(matches!(err, IdentityError::CustomerLocked));
    let err = b.id.find_customer("hong1234", &rrn, t0()).await.expect_err("locked");
    assert!(matches!(err, IdentityError::CustomerLocked));
    assert!(err.message_ko().contains("영업점을 방문"), "{}", err.message_ko());
    let unlocked = b.id.unlock_customer(c.id, Actor::Operator, t0()).await.expect("unlock");
    assert!(unlocked.customer);
    b.id.find_customer("hong1234", &rrn, t0()).await.expect("found again");

    // Staff lock and unlock.
    assert!(b
        .id
        .lock_customer(c.id, "lost phone reported", Actor::Staff("kim".into()), t0())
        .await
        .expect("lock"));
    assert!(!b.id.lock_customer(c.id, "again", Actor::Operator, t0()).await.expect("lock again"));
    let err =
        b.id.answer(
            Check::RrnName,
            &c,
            "f",
            &Answer::RrnName { rrn: rrn.clone(), name: "홍길동".into() },
            t0(),
        )
        .await
        .expect_err("locked");
    assert!(matches!(err, IdentityError::CustomerLocked));
    b.id.unlock_customer(c.id, Actor::Operator, t0()).await.expect("unlock");
    b.id.answer(Check::RrnName, &c, "f", &Answer::RrnName { rrn, name: "홍 길동".into() }, t0())
        .await
        .expect("rrn + name");

    let entries = b.audit_is_clean().await;
    assert_eq!(count(&entries, "identity.banking_login.lock"), 1);
    assert_eq!(count(&entries, "identity.find.fail"), 3);
    assert!(entries.iter().any(|e| e.action == "identity.find.fail" && e.actor == "anonymous"));
    assert_eq!(count(&entries, "customer.lock"), 2);
}

#[tokio::test]
async fn guessing_the_rrn_of_a_known_id_locks_it_after_five() {
    let mut b = bed().await;
    let (c, _) = b.enrol(SecondFactorKind::SecurityCard).await;
    let rrn = Rrn::new(RRN).expect("rrn");
    for i in 0..5 {
        let guess = Rrn::new(&format!("90010{}1234567", i + 2)[..13]).expect("rrn");
        let err = b.id.find_customer("hong1234", &guess, t0()).await.expect_err("wrong rrn");
        if i < 4 {
            // Until the lock, the answer does not tell a wrong RRN from an unknown ID.
            assert!(matches!(err, IdentityError::CustomerNotFound), "{err:?}");
        } else {
            assert!(
                matches!(err, IdentityError::Locked { what: LockedThing::BankingLogin, .. }),
                "{err:?}"
            );
        }
    }
    // Locked: even the right RRN is refused now, until staff unlock.
    let err = b.id.find_customer("hong1234", &rrn, t0()).await.expect_err("locked");
    assert!(matches!(err, IdentityError::CustomerLocked), "{err:?}");
    b.id.unlock_customer(c.id, Actor::Operator, t0()).await.expect("unlock");
    b.id.find_customer("hong1234", &rrn, t0()).await.expect("found after unlock");
    let entries = b.audit_is_clean().await;
    assert_eq!(count(&entries, "identity.find.lock"), 1);
}

#[tokio::test]
async fn enrolment_refuses_bad_data_and_duplicates_and_keeps_no_secret_in_clear() {
    let mut b = bed().await;
    let mut e = enrolment("hong1234", RRN, SecondFactorKind::SecurityCard);
    e.phone = "02-123-4567".into();
    let err = b.id.enrol(&e, Actor::Operator, t0()).await.expect_err("landline");
    assert!(err.to_string().contains("mobile number"), "{err}");
    let mut e = enrolment("hong1234", RRN, SecondFactorKind::SecurityCard);
    e.accounts[0].password = Zeroizing::new("12345".into());
    assert!(b.id.enrol(&e, Actor::Operator, t0()).await.is_err());
    let mut e = enrolment("hong1234", RRN, SecondFactorKind::SecurityCard);
    e.id_card.as_mut().expect("card").number = Zeroizing::new("900101-1234568".into());
    assert!(b
        .id
        .enrol(&e, Actor::Operator, t0())
        .await
        .expect_err("card")
        .to_string()
        .contains("resident card"));

    let (c, enrolled) = b.enrol(SecondFactorKind::SecurityCard).await;
    let printout = enrolled.security_card.as_ref().expect("card").printout();
    assert_eq!(printout.lines().count(), 7, "{printout}");
    assert!(printout.contains("01  ") && printout.contains("30  "));
    assert_eq!(b.id.masked_rrn(&c).expect("rrn").as_deref(), Some("900101-1******"));
    assert_eq!(c.phone, "010-1234-5678");

    let again =
        b.id.enrol(
            &enrolment("hong1234", "850505-2345678", SecondFactorKind::None),
            Actor::Operator,
            t0(),
        )
        .await;
    assert!(
        matches!(
            again,
            Err(dojang_identity::EnrolError::Duplicate { what: "the internet banking ID" })
        ),
        "{again:?}"
    );
    let same_rrn =
        b.id.enrol(&enrolment("other99", RRN, SecondFactorKind::None), Actor::Operator, t0()).await;
    assert!(matches!(same_rrn, Err(dojang_identity::EnrolError::Duplicate { .. })), "{same_rrn:?}");
    assert!(!format!("{same_rrn:?}").contains("1234567"));

    // A business, found by ID and business number.
    let mut biz = enrolment("dojangcorp", RRN, SecondFactorKind::Otp);
    biz.kind = CustomerKind::Business;
    biz.rrn = None;
    biz.id_card = None;
    biz.business_number = Some("123-45-67890".into());
    biz.accounts[0].number = "555-555-555555".into();
    let corp = b.id.enrol(&biz, Actor::Operator, t0()).await.expect("business");
    let found = b.id.find_business("dojangcorp", "1234567890", t0()).await.expect("found");
    assert_eq!(found.id, corp.customer_id);
    assert!(matches!(
        b.id.find_business("dojangcorp", "1234567891", t0()).await,
        Err(IdentityError::CustomerNotFound)
    ));

    // Nothing secret in the database file in the clear.
    drop(b.store.clone());
    let db = std::fs::read(b._dir.path().join("db.sqlite3")).expect("db");
    let wal = std::fs::read(b._dir.path().join("db.sqlite3-wal")).unwrap_or_default();
    for hay in [&db, &wal] {
        for needle in ["9001011234567", "900101-1234567", PASSWORD, ACCOUNT_PW] {
            assert!(
                !hay.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in clear in the store"
            );
        }
    }
    b.audit_is_clean().await;
}

#[tokio::test]
async fn answers_and_enrolment_results_never_show_secrets_in_debug() {
    let rrn = Rrn::new(RRN).expect("rrn");
    for a in [
        Answer::Code("918273".into()),
        Answer::Otp("918273".into()),
        Answer::SecurityCard { first: "91".into(), second: "82".into() },
        Answer::RrnName { rrn, name: "홍길동".into() },
        Answer::BankingLogin { id: "hong1234".into(), password: PASSWORD.into() },
        Answer::AccountPassword { account: ACCOUNT.into(), password: "9182".into() },
        Answer::IdCard {
            kind: IdCardKind::Resident,
            number: RRN.into(),
            issue_date: date!(2015 - 03 - 02),
        },
    ] {
        let shown = format!("{a:?}");
        for s in
            ["918273", "91", "82", "1234567", PASSWORD, "9182", "홍길동", "hong1234", "123-456"]
        {
            assert!(!shown.contains(s), "{s} in {shown}");
        }
    }
    let e = enrolment("hong1234", RRN, SecondFactorKind::SecurityCard);
    let shown = format!("{e:?}");
    assert!(
        !shown.contains(PASSWORD) && !shown.contains("1234567") && !shown.contains(ACCOUNT_PW),
        "{shown}"
    );
}

#[tokio::test]
async fn an_answer_of_the_wrong_kind_is_a_programming_error_not_a_customer_failure() {
    let mut b = bed().await;
    let (c, _) = b.enrol(SecondFactorKind::SecurityCard).await;
    let err =
        b.id.answer(Check::Sms, &c, "f", &Answer::Otp("123456".into()), t0())
            .await
            .expect_err("misfit");
    assert!(matches!(err, IdentityError::AnswerDoesNotFit { check: Check::Sms }));
    assert!(!err.is_customer_error());
    let err = b.id.start(Check::AccountPassword, &c, "f", t0()).await.map(|p| p.check);
    assert_eq!(err.expect("prompt"), Check::AccountPassword);
}
