//! The flow engine with every real part behind it (store, CA, RA, vault, identity, the phone
//! simulator), driven at chosen times: steps out of order, replayed, and after the flow has
//! expired are refused and change nothing.

mod common;

use common::{bank, bank_with};
use dojang_flows::{FlowError, FlowKind, FlowSettings, StartFlow};
use dojang_outside::list_inbox;
use serde_json::json;
use time::{Duration, OffsetDateTime};

fn all_terms() -> serde_json::Value {
    json!({ "accepted": dojang_flows::terms::TERMS.iter().map(|t| t.id).collect::<Vec<_>>() })
}

#[tokio::test]
async fn steps_must_come_in_order_once_and_in_time() {
    let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    let b = bank(t0).await;
    let start = StartFlow { kind: FlowKind::Issue, method: None };
    let v = b.flows.start(start, t0).await.expect("start");
    let id = v.id.clone();
    assert_eq!(v.next.as_ref().map(|s| (s.number, s.total)), Some((1, 8)));

    // Skipping ahead is refused, and names the step that is next.
    let e = b
        .flows
        .step(&id, "identify", json!({"banking_id": "hong", "rrn": "9001011234567"}), t0)
        .await;
    assert!(matches!(e, Err(FlowError::OutOfOrder { expected: "terms", .. })), "{e:?}");
    // A step that does not exist.
    assert!(matches!(
        b.flows.step(&id, "skip", json!({}), t0).await,
        Err(FlowError::UnknownStep(_))
    ));
    // A flow id that does not exist.
    let e = b.flows.step("00000000000000000000000000000000", "terms", all_terms(), t0).await;
    assert!(matches!(e, Err(FlowError::UnknownFlow)));

    b.flows.step(&id, "terms", all_terms(), t0).await.expect("terms");
    // The same step again (a replay) is refused: the flow has moved on.
    let e = b.flows.step(&id, "terms", all_terms(), t0).await;
    assert!(matches!(e, Err(FlowError::OutOfOrder { expected: "identify", .. })), "{e:?}");

    let t1 = t0 + Duration::minutes(9);
    let v = b
        .flows
        .step(&id, "identify", json!({"banking_id": "hong", "rrn": "900101-1234567"}), t1)
        .await
        .expect("identify within the idle time");
    assert_eq!(v.next.as_ref().map(|s| s.number), Some(3));

    // Left idle past ten minutes, the flow is gone: every step and even a look are refused.
    let t2 = t1 + Duration::minutes(11);
    let e = b.flows.step(&id, "product", json!({"product": "personal-bank"}), t2).await;
    assert!(matches!(e, Err(FlowError::Expired)), "{e:?}");
    assert!(matches!(b.flows.view(&id, t2).await, Err(FlowError::Expired)));
    assert!(FlowError::Expired.message_ko().contains("처음부터"));
    assert_eq!(b.store.certificate_count().await.expect("count"), 0);
}

#[tokio::test]
async fn a_busy_flow_still_ends_at_its_lifetime() {
    let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    let settings = FlowSettings { lifetime: Duration::minutes(20), ..FlowSettings::default() };
    let b = bank_with(t0, settings).await;
    let v =
        b.flows.start(StartFlow { kind: FlowKind::Issue, method: None }, t0).await.expect("start");
    let id = v.id;
    // Each step comes well inside the idle time, but the whole flow outlives its lifetime.
    b.flows.step(&id, "terms", all_terms(), t0 + Duration::minutes(8)).await.expect("terms");
    b.flows
        .step(
            &id,
            "identify",
            json!({"banking_id": "hong", "rrn": "9001011234567"}),
            t0 + Duration::minutes(16),
        )
        .await
        .expect("identify");
    let e = b
        .flows
        .step(&id, "product", json!({"product": "personal-bank"}), t0 + Duration::minutes(24))
        .await;
    assert!(matches!(e, Err(FlowError::Expired)), "{e:?}");
}

#[tokio::test]
async fn an_answer_before_its_challenge_is_refused() {
    let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    let b = bank(t0).await;
    let v =
        b.flows.start(StartFlow { kind: FlowKind::Issue, method: None }, t0).await.expect("start");
    let id = v.id;
    b.flows.step(&id, "terms", all_terms(), t0).await.expect("terms");
    b.flows
        .step(&id, "identify", json!({"banking_id": "hong", "rrn": "9001011234567"}), t0)
        .await
        .expect("identify");
    b.flows.step(&id, "product", json!({"product": "personal-bank"}), t0).await.expect("product");
    let e = b.flows.step(&id, "check-ars", json!({"action": "answer", "code": "123456"}), t0).await;
    assert!(matches!(e, Err(FlowError::NotStarted)), "{e:?}");
    // Nothing was sent, nothing issued.
    assert!(list_inbox(&b.store, "010-1234-5678", 0).await.expect("inbox").is_empty());
}

#[tokio::test]
async fn restarting_the_ars_check_is_bounded_in_a_flow_and_across_new_flows() {
    let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    let b = bank(t0).await;
    let limits = dojang_identity::Limits::default();
    let wrong = json!({"action": "answer", "code": "000000"});
    let mut sent = 0;
    let mut flows = 0;
    let refusal = 'guessing: loop {
        // A new flow, through identify, up to the ARS check.
        let v = b
            .flows
            .start(StartFlow { kind: FlowKind::Issue, method: None }, t0)
            .await
            .expect("start");
        flows += 1;
        let id = v.id;
        b.flows.step(&id, "terms", all_terms(), t0).await.expect("terms");
        b.flows
            .step(&id, "identify", json!({"banking_id": "hong", "rrn": "9001011234567"}), t0)
            .await
            .expect("identify");
        b.flows
            .step(&id, "product", json!({"product": "personal-bank"}), t0)
            .await
            .expect("product");
        loop {
            match b.flows.step(&id, "check-ars", json!({"action": "start"}), t0).await {
                Ok(_) => sent += 1,
                Err(FlowError::Identity { code, ko, .. }) if code == "too_many_requests" => {
                    assert!(ko.contains("처음부터 다시"), "{ko}");
                    continue 'guessing;
                }
                Err(e) => break 'guessing e,
            }
            for _ in 0..limits.attempts_per_challenge {
                let e = b.flows.step(&id, "check-ars", wrong.clone(), t0).await;
                assert!(e.is_err(), "000000 is not the code");
            }
            assert!(sent <= limits.unanswered_per_day, "more codes went out than a day allows");
        }
    };
    // Five codes a flow, then the flow must start over; ten a day over all flows.
    assert_eq!(sent, limits.unanswered_per_day);
    assert_eq!(flows, limits.unanswered_per_day.div_ceil(limits.sends_per_flow) + 1);
    let FlowError::Identity { code, ko, .. } = &refusal else { panic!("{refusal:?}") };
    assert_eq!(code, "too_many_requests_today");
    assert!(ko.contains("24시간"), "{ko}");
    assert_eq!(b.store.certificate_count().await.expect("count"), 0);
}
