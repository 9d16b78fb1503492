//! The center's tables for identity checks: customers, accounts and their ledger, failure
//! counters and locks, one-time challenges, and the simulated inbox.

use dojang_store::store_test;
use dojang_store::testing::{person, t0};
use dojang_store::{Channel, Lockable, NewAccount, NewChallenge, Store, StoreError};
use time::Duration;

async fn with_customer(s: &Store) -> i64 {
    let mut tx = s.begin().await.expect("begin");
    let id = tx.insert_customer(&person("hong1234", 7), t0()).await.expect("insert");
    let account =
        NewAccount { number: "123456789012".into(), password_hash: "x".into(), balance: 10_000 };
    tx.insert_account(id, &account, "계좌 개설 입금", t0()).await.expect("account");
    tx.commit().await.expect("commit");
    id
}

store_test!(async fn customers_are_found_by_id_banking_id_and_rrn_hash_and_duplicates_say_which(s) {
    let id = with_customer(s).await;
    assert_eq!(s.customer(id).await.expect("read").expect("there").banking_id, "hong1234");
    assert_eq!(s.customer_by_banking_id("hong1234").await.expect("read").map(|c| c.id), Some(id));
    assert_eq!(s.customer_by_rrn_lookup(&[7; 32]).await.expect("read").map(|c| c.id), Some(id));
    assert!(s.customer_by_banking_id("nobody").await.expect("read").is_none());
    assert_eq!(s.customers(0, 10).await.expect("list").len(), 1);

    let mut tx = s.begin().await.expect("begin");
    let err = tx.insert_customer(&person("hong1234", 8), t0()).await.expect_err("same id");
    assert!(matches!(err, StoreError::Duplicate { what: "the internet banking ID" }), "{err:?}");
    let err = tx.insert_customer(&person("other", 7), t0()).await.expect_err("same rrn");
    assert!(matches!(err, StoreError::Duplicate { what: "the resident registration number" }));
    // Debug shows who, not the hash or the sealed RRN.
    let c = s.customer(id).await.expect("read").expect("there");
    let shown = format!("{c:?}");
    assert!(!shown.contains("argon2") && !shown.contains("rrn"), "{shown}");
});

store_test!(async fn money_never_goes_below_zero_and_the_ledger_adds_up(s) {
    with_customer(s).await;
    let mut tx = s.begin().await.expect("begin");
    let fee = tx
        .debit("123456789012", 4_400, "인증서 발급 수수료", Some("flow-1"), t0())
        .await
        .expect("fee");
    assert_eq!((fee.amount, fee.balance_after), (-4_400, 5_600));
    let err = tx
        .debit("123456789012", 110_000, "법인 범용 수수료", Some("flow-2"), t0())
        .await
        .expect_err("too much");
    match err {
        StoreError::InsufficientFunds { ref account, balance, needed } => {
            assert_eq!((account.as_str(), balance, needed), ("123456789012", 5_600, 110_000));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("5600") && err.to_string().contains("110000"));
    assert!(matches!(
        tx.credit("123456789012", 0, "x", None, t0()).await,
        Err(StoreError::InvalidAmount(0))
    ));
    assert!(matches!(
        tx.debit("123456789012", -5, "x", None, t0()).await,
        Err(StoreError::InvalidAmount(-5))
    ));
    assert!(matches!(
        tx.credit("999", 1, "x", None, t0()).await,
        Err(StoreError::NoSuchAccount(_))
    ));
    // A sum no balance can hold is refused, not wrapped or turned into a float.
    assert!(matches!(
        tx.credit("123456789012", i64::MAX, "x", None, t0()).await,
        Err(StoreError::InvalidAmount(i64::MAX))
    ));
    tx.credit("123456789012", 1, "도장 1234", Some("flow-3"), t0()).await.expect("one won");
    tx.commit().await.expect("commit");

    let ledger = s.ledger("123456789012").await.expect("ledger");
    let amounts: Vec<i64> = ledger.iter().map(|e| e.amount).collect();
    assert_eq!(amounts, [10_000, -4_400, 1]);
    let balance = s.account("123456789012").await.expect("read").expect("there").balance;
    assert_eq!(balance, amounts.iter().sum::<i64>());
    assert_eq!(ledger.last().map(|e| e.balance_after), Some(balance));
    assert_eq!(s.ledger_of_flow("flow-1").await.expect("flow").len(), 1);
    assert!(s.ledger_of_flow("flow-2").await.expect("flow").is_empty());
});

store_test!(async fn failures_lock_at_the_limit_a_success_resets_and_unlock_clears_everything(s) {
    let id = with_customer(s).await;
    let mut tx = s.begin().await.expect("begin");
    tx.put_security_card(id, "1234567890", b"sealed").await.expect("card");
    tx.put_otp_device(id, "OTP0000000001", b"sealed").await.expect("otp");
    let card = Lockable::SecurityCard { customer_id: id };
    for n in 1..=4 {
        let c = tx.record_failure(&card, 5, t0()).await.expect("count");
        assert_eq!((c.failures, c.locked), (n, false));
    }
    tx.reset_failures(&card).await.expect("reset");
    for n in 1..=5 {
        let c = tx.record_failure(&card, 5, t0()).await.expect("count");
        assert_eq!(c.failures, n);
        assert_eq!(c.locked, n == 5);
        assert_eq!(c.newly_locked, n == 5);
    }
    let c = tx.record_failure(&card, 5, t0()).await.expect("count");
    assert!(c.locked && !c.newly_locked);
    let account = Lockable::AccountPassword { account: "123456789012".into() };
    for _ in 0..5 {
        tx.record_failure(&account, 5, t0()).await.expect("count");
    }
    let login = Lockable::BankingLogin { customer_id: id };
    for _ in 0..5 {
        tx.record_failure(&login, 5, t0()).await.expect("count");
    }
    let missing = tx.record_failure(&Lockable::Otp { customer_id: 999 }, 5, t0()).await;
    assert!(matches!(missing, Err(StoreError::NoSuchCustomer(999))));
    tx.commit().await.expect("commit");

    let c = s.customer(id).await.expect("read").expect("there");
    assert!(c.is_locked());
    assert_eq!(c.lock_reason.as_deref(), Some(dojang_store::BANKING_PASSWORD_LOCK));
    assert!(s.security_card(id).await.expect("read").expect("card").is_locked());

    let mut tx = s.begin().await.expect("begin");
    let unlocked = tx.unlock_customer(id).await.expect("unlock");
    tx.commit().await.expect("commit");
    assert!(unlocked.customer && unlocked.security_card && !unlocked.otp);
    assert_eq!(unlocked.accounts, ["123456789012"]);
    let card = s.security_card(id).await.expect("read").expect("card");
    assert!(!card.is_locked() && card.failures == 0);
    assert!(!s.customer(id).await.expect("read").expect("there").is_locked());
    assert_eq!(s.account("123456789012").await.expect("read").expect("there").failures, 0);
});

store_test!(async fn challenges_are_used_once_and_otp_steps_only_go_forward(s) {
    let id = with_customer(s).await;
    let mut tx = s.begin().await.expect("begin");
    for (n, at) in [(1, t0()), (2, t0() + Duration::seconds(1))] {
        let c = NewChallenge {
            id: format!("ch{n}"),
            flow_id: "flow".into(),
            customer_id: id,
            kind: "sms".into(),
            answer_hash: [n; 32],
            detail: String::new(),
            expires_at: at + Duration::minutes(3),
            max_attempts: 3,
        };
        tx.insert_challenge(&c, at).await.expect("insert");
    }
    let latest = tx.latest_challenge("flow", id, "sms").await.expect("read").expect("there");
    assert_eq!(latest.id, "ch2");
    assert!(!format!("{latest:?}").contains("answer_hash"));
    assert_eq!(tx.challenge_failed("ch2").await.expect("count"), 1);
    assert!(tx.use_challenge("ch2", t0()).await.expect("use"));
    assert!(!tx.use_challenge("ch2", t0()).await.expect("again"));
    assert_eq!(tx.challenge_count("flow", "sms").await.expect("count"), 2);

    tx.put_otp_device(id, "OTP1", b"seed").await.expect("otp");
    assert!(tx.accept_otp_step(id, 100).await.expect("step"));
    assert!(!tx.accept_otp_step(id, 100).await.expect("same step"));
    assert!(!tx.accept_otp_step(id, 99).await.expect("older step"));
    assert!(tx.accept_otp_step(id, 101).await.expect("next step"));
    tx.commit().await.expect("commit");
    assert_eq!(s.purge_challenges(t0() + Duration::minutes(10)).await.expect("purge"), 2);
});

store_test!(async fn the_inbox_reads_the_same_under_any_spelling_of_an_address(s) {
    s.deliver(Channel::Sms, "010-1234-5678", "[도장은행] 인증번호 [123456]", t0())
        .await
        .expect("sms");
    s.deliver(Channel::Ars, "01012345678", "승인번호는 [1 2 3]", t0()).await.expect("ars");
    s.deliver(Channel::Email, "Hong@Example.com", "제목: x", t0()).await.expect("mail");
    let all = s.list_inbox("010 1234 5678", 0).await.expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].address, "01012345678");
    assert_eq!(s.list_inbox("01012345678", all[0].id).await.expect("after").len(), 1);
    assert_eq!(s.list_inbox("hong@example.com", 0).await.expect("mail").len(), 1);
    assert!(s.list_inbox("01099999999", 0).await.expect("none").is_empty());
});

store_test!(async fn concurrent_pin_tries_never_get_past_the_limit(s) {
    let id = with_customer(s).await;
    let mut tx = s.begin().await.expect("begin");
    tx.put_financial_holder(id, &[1u8; 32], &[2u8; 60], t0()).await.expect("holder");
    tx.commit().await.expect("commit");
    // Ten tries at the same moment: five get a try, the others are refused, as if locked.
    let tries: Vec<_> = (0..10)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(
                async move { s.financial_pin_reserve(id, 5, t0()).await.expect("reserve") },
            )
        })
        .collect();
    let mut granted = Vec::new();
    for t in tries {
        if let Some(n) = t.await.expect("join") {
            granted.push(n);
        }
    }
    granted.sort_unstable();
    assert_eq!(granted, vec![1, 2, 3, 4, 5]);
    // The fourth was wrong while the fifth was still being checked: no lock yet, whatever the
    // live count says (the fifth may be right).
    s.financial_pin_failed(id, 4, 5, t0()).await.expect("failed");
    assert!(s.financial_holder(id).await.expect("read").expect("there").locked_at.is_none());
    // The fifth was wrong too: the holder is locked, and stays so for a right PIN too.
    s.financial_pin_failed(id, 5, 5, t0()).await.expect("failed");
    let holder = s.financial_holder(id).await.expect("read").expect("there");
    assert!(holder.locked_at.is_some());
    assert_eq!(s.financial_pin_reserve(id, 5, t0()).await.expect("reserve"), None);
    assert!(!s.financial_pin_lock(id, 5, t0()).await.expect("lock"), "locked already");
    s.financial_pin_passed(id).await.expect("passed");
    assert!(s.financial_holder(id).await.expect("read").expect("there").locked_at.is_some());
});

store_test!(async fn tries_never_settled_add_up_to_a_lock_recorded_once(s) {
    let id = with_customer(s).await;
    let mut tx = s.begin().await.expect("begin");
    tx.put_financial_holder(id, &[1u8; 32], &[2u8; 60], t0()).await.expect("holder");
    tx.commit().await.expect("commit");
    // Five tries whose requests were dropped before their PIN was judged.
    for n in 1..=5 {
        assert_eq!(s.financial_pin_reserve(id, 5, t0()).await.expect("reserve"), Some(n));
    }
    assert!(!s.financial_pin_lock(id, 6, t0()).await.expect("lock"), "not out of six tries");
    assert!(s.financial_holder(id).await.expect("read").expect("there").locked_at.is_none());
    assert!(s.financial_pin_lock(id, 5, t0()).await.expect("lock"), "locked by this call");
    assert!(!s.financial_pin_lock(id, 5, t0()).await.expect("lock"), "once");
    assert!(s.financial_holder(id).await.expect("read").expect("there").locked_at.is_some());
});

store_test!(async fn a_job_lease_is_held_by_one_replica_until_it_runs_out(s) {
    let life = Duration::minutes(15);
    assert!(s.take_lease("housekeeping", "replica-a", t0(), life).await.expect("a takes"));
    assert!(!s.take_lease("housekeeping", "replica-b", t0(), life).await.expect("b refused"));
    // The holder renews; the other is refused until the renewed lease runs out.
    let later = t0() + Duration::minutes(10);
    assert!(s.take_lease("housekeeping", "replica-a", later, life).await.expect("a renews"));
    let after_first = t0() + Duration::minutes(16);
    assert!(!s.take_lease("housekeeping", "replica-b", after_first, life).await.expect("renewed"));
    // Another job is another lease.
    assert!(s.take_lease("crl-refresh", "replica-b", t0(), life).await.expect("b, other job"));
    // a stops renewing: b takes it over once it has run out.
    let ran_out = later + life;
    assert!(s.take_lease("housekeeping", "replica-b", ran_out, life).await.expect("b takes over"));
    assert_eq!(
        s.lease_holder("housekeeping").await.expect("holder"),
        Some(("replica-b".to_string(), ran_out + life))
    );
    assert!(!s.take_lease("housekeeping", "replica-a", ran_out, life).await.expect("a refused"));
    // Released, it is free at once.
    s.release_lease("housekeeping", "replica-b").await.expect("release");
    assert!(s.take_lease("housekeeping", "replica-a", ran_out, life).await.expect("a again"));
});
