//! The JSON API as a client reaches it: the real router of a real center, a request to one of
//! the JSON endpoints chosen by the first byte, the rest of the input as its body. Every
//! answer must be a proper HTTP answer below 500: a refusal names what was wrong, and no body
//! makes the center fail or panic.
#![no_main]

#[path = "center.rs"]
mod center;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

/// The JSON endpoints that take a body. `{flow}` is replaced by a fresh flow's id.
const ENDPOINTS: &[&str] = &[
    "/api/v1/flows",
    "/api/v1/flows/{flow}/terms",
    "/api/v1/flows/{flow}/identify",
    "/api/v1/flows/{flow}/product",
    "/api/v1/flows/{flow}/check-ars",
    "/api/v1/flows/{flow}/payment",
    "/api/v1/flows/{flow}/confirm",
    "/api/v1/flows/{flow}/csr",
    "/api/v1/login",
    "/api/v1/registrations",
    "/api/v1/registrations/00000000000000000000000000000000/finish",
    "/api/v1/verify",
    "/api/v1/inquiries",
    "/api/v1/staff/login",
    "/csc/v1/auth/login",
    "/csc/v1/credentials/list",
    "/csc/v1/credentials/authorize",
    "/csc/v1/signatures/signHash",
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else { return };
    let s = center::shared();
    let template = ENDPOINTS[usize::from(choice) % ENDPOINTS.len()];
    s.runtime.block_on(async {
        let path = if template.contains("{flow}") {
            let start = Request::post("/api/v1/flows")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"kind":"issue"}"#))
                .expect("request");
            let resp = s.router.clone().oneshot(start).await.expect("infallible");
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.expect("body");
            let v: serde_json::Value = serde_json::from_slice(&bytes).expect("a flow as JSON");
            template.replace("{flow}", v["id"].as_str().expect("a flow id"))
        } else {
            template.to_string()
        };
        let req = Request::post(path.as_str())
            .header("content-type", "application/json")
            .body(Body::from(body.to_vec()))
            .expect("request");
        let resp = s.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        assert!(
            status < StatusCode::INTERNAL_SERVER_ERROR,
            "{path} answered {status} to a client's body"
        );
    });
});
