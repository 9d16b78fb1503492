//! `/api/v1/transfers`: the relay of certificate copy (인증서 복사) between two devices. The
//! protocol is `dojang-transfer` (and docs/copy.md); this module only keeps its messages for a
//! few minutes, counts the tries, and forgets. It never sees the number's secret digits, so
//! neither it nor its database can open what it relays.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use dojang_store::{
    NewOffer, NewTransfer, OfferRefused, TransferClash, TransferRecord, TransferState,
};
use dojang_transfer::protocol::{CONFIRM_LEN, MAX_SEALED, MESSAGE_LEN};
use dojang_transfer::wire::{
    b64, unb64, Accept, AfterReject, AttemptOutcome, AttemptView, CreateTransfer, OfferAccepted,
    OfferBody, ReceiverState, ReceiverView, Reject, RejectOutcome, TransferCreated, TransferLookup,
};
use dojang_transfer::{is_transfer_id, Slot};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::flows::Problem;
use super::input::{JsonBody, UrlPath};
use super::web::limit::{Client, Quota, RateLimit, RetryAfter};
use super::web::{with_retry_after, Peer};
use crate::center::Center;

type Shared = Arc<Center>;

/// How long a transfer lives: enough to pick up the other device and type twelve digits.
pub const LIFE: time::Duration = time::Duration::minutes(5);
/// Wrong numbers allowed before the transfer dies.
pub const MAX_ATTEMPTS: u32 = 3;
/// Codes drawn before the center says it is too busy.
const CODE_DRAWS: usize = 50;

/// Copies one client (an IP address, an IPv6 /64) may open in ten minutes. A person copying a
/// few certificates never meets it; a script that would hold every four-digit code, so that no
/// one else can copy, soon does. Clients the server cannot tell apart share a larger allowance.
const OPEN_QUOTA: Quota =
    Quota { per_client: 30, shared: 300, window: Duration::from_secs(600), capacity: 10_000 };
/// Codes one client may look up in ten minutes: a sender types one number, perhaps again; a
/// script trying codes to reach others' copies (three wrong numbers end a copy) is held back.
const LOOKUP_QUOTA: Quota =
    Quota { per_client: 60, shared: 600, window: Duration::from_secs(600), capacity: 10_000 };

pub fn router() -> Router<Shared> {
    let opens = Arc::new(RateLimit::new(OPEN_QUOTA));
    let lookups = Arc::new(RateLimit::new(LOOKUP_QUOTA));
    Router::new()
        .route("/api/v1/transfers", post(create).layer(Extension(opens)))
        .route("/api/v1/transfers/code/{code}", get(lookup).layer(Extension(lookups)))
        .route("/api/v1/transfers/{id}", get(receiver_view))
        .route("/api/v1/transfers/{id}/offer", post(offer))
        .route("/api/v1/transfers/{id}/reject", post(reject))
        .route("/api/v1/transfers/{id}/accept", post(accept))
        .route("/api/v1/transfers/{id}/cancel", post(cancel))
        .route("/api/v1/transfers/{id}/attempt", get(attempt))
        .route("/api/v1/transfers/{id}/finish", post(finish))
}

// ---------------------------------------------------------------------------------------------
// Refusals

struct Refusal {
    status: StatusCode,
    code: &'static str,
    ko: String,
    en: String,
    attempts_left: Option<u32>,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = Problem {
            error: self.code.into(),
            message_ko: self.ko,
            message_en: self.en,
            attempts_left: self.attempts_left,
        };
        (self.status, Json(body)).into_response()
    }
}

fn refuse(status: StatusCode, code: &'static str, ko: &str, en: &str) -> Refusal {
    Refusal { status, code, ko: ko.into(), en: en.into(), attempts_left: None }
}

type Answer<T> = Result<T, Refusal>;

/// Counts one hit of `client` against `limit`; past it, the 429 that says when to come back.
fn held_back(limit: &RateLimit, client: Option<IpAddr>, what: &str) -> Option<Response> {
    limit.hit(Client::of(client), Instant::now()).err().map(|RetryAfter(retry)| {
        tracing::warn!(retry_after_s = retry.as_secs(), what, "certificate copy refused: rate limit");
        let minutes = retry.as_secs().div_ceil(60).max(1);
        let mut response = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_transfers",
            &format!("짧은 시간에 인증서 복사 요청이 너무 많습니다. 약 {minutes}분 뒤에 다시 시도해 주세요."),
            &format!("Too many certificate copy requests in a short time; try again in about {minutes} minutes."),
        )
        .into_response();
        with_retry_after(&mut response, retry);
        response
    })
}

fn internal(e: dojang_store::StoreError) -> Refusal {
    tracing::error!(error = %e, "transfer request failed");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "인증센터에 일시적인 오류가 있습니다. 잠시 후 다시 시도해 주세요.",
        "The center failed; try again in a moment.",
    )
}

fn bad(what: &str) -> Refusal {
    refuse(
        StatusCode::BAD_REQUEST,
        "bad_input",
        &format!("요청 형식이 올바르지 않습니다 ({what}). 프로그램을 최신으로 바꿔 주세요."),
        &format!("the request is malformed ({what}); update the program"),
    )
}

fn not_found() -> Refusal {
    refuse(
        StatusCode::NOT_FOUND,
        "transfer_not_found",
        "인증번호에 해당하는 인증서 복사 요청이 없습니다. 받는 기기에 표시된 인증번호를 확인하거나, 받는 기기에서 복사를 다시 시작해 주세요.",
        "No certificate copy has that number; check the number the receiving device shows, or start the copy again there.",
    )
}

fn expired() -> Refusal {
    refuse(
        StatusCode::GONE,
        "transfer_expired",
        "인증번호의 유효시간(5분)이 지났습니다. 받는 기기에서 인증서 복사를 다시 시작해 새 인증번호를 받아 주세요.",
        "The number has expired (it lives 5 minutes); start the copy again on the receiving device for a new number.",
    )
}

fn dead() -> Refusal {
    Refusal {
        attempts_left: Some(0),
        ..refuse(
            StatusCode::GONE,
            "transfer_dead",
            "인증번호를 3회 잘못 입력하여 이 인증서 복사는 취소되었습니다. 받는 기기에서 복사를 다시 시작해 주세요.",
            "The number was entered wrong 3 times, so this copy is cancelled; start again on the receiving device.",
        )
    }
}

fn done() -> Refusal {
    refuse(
        StatusCode::GONE,
        "transfer_done",
        "이 인증번호의 인증서 복사는 이미 끝났습니다.",
        "The copy with this number is already complete.",
    )
}

fn busy() -> Refusal {
    refuse(
        StatusCode::CONFLICT,
        "transfer_busy",
        "다른 기기에서 이 인증번호로 인증서를 보내는 중입니다. 잠시 후 다시 시도해 주세요.",
        "Another device is sending with this number; try again in a moment.",
    )
}

fn not_yours() -> Refusal {
    refuse(
        StatusCode::FORBIDDEN,
        "not_allowed",
        "이 인증서 복사에 대한 권한이 없습니다.",
        "This copy is not yours to act on.",
    )
}

/// Refuses a transfer that can no longer be used.
fn closed(t: &TransferRecord, now: OffsetDateTime) -> Answer<()> {
    if now >= t.expires_at || t.state == TransferState::Expired {
        return Err(expired());
    }
    match t.state {
        TransferState::Dead => Err(dead()),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

fn bytes(text: &str, what: &'static str, len: std::ops::RangeInclusive<usize>) -> Answer<Vec<u8>> {
    let b = unb64(text, what).map_err(|_| bad(what))?;
    if len.contains(&b.len()) {
        Ok(b)
    } else {
        Err(bad(what))
    }
}

/// A SPAKE2 message of side `side` (`A` or `B`).
fn message(text: &str, side: u8, what: &'static str) -> Answer<Vec<u8>> {
    let m = bytes(text, what, MESSAGE_LEN..=MESSAGE_LEN)?;
    if m[0] == side {
        Ok(m)
    } else {
        Err(bad(what))
    }
}

fn checked_id(id: &str) -> Answer<&str> {
    if is_transfer_id(id) {
        Ok(id)
    } else {
        Err(not_found())
    }
}

/// SHA-256 of the bearer token in `Authorization`.
fn bearer_hash(headers: &HeaderMap) -> Answer<[u8; 32]> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(not_yours)?;
    Ok(Sha256::digest(token.trim().as_bytes()).into())
}

fn same(a: &[u8], b: &[u8; 32]) -> bool {
    bool::from(a.ct_eq(b.as_slice()))
}

/// A fresh bearer token (64 hex digits) and the hash the store keeps.
fn new_token() -> (String, [u8; 32]) {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = hex(&raw);
    let hash = Sha256::digest(token.as_bytes()).into();
    (token, hash)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

async fn load(c: &Center, id: &str) -> Answer<TransferRecord> {
    c.store.transfer(checked_id(id)?).await.map_err(internal)?.ok_or_else(not_found)
}

// ---------------------------------------------------------------------------------------------
// The receiver

/// The receiving device opens a copy: its id and first SPAKE2 message. The answer's code is
/// shown in front of the device's eight secret digits.
#[utoipa::path(post, path = "/api/v1/transfers", tag = "transfers", request_body = CreateTransfer,
    responses(
        (status = 201, description = "The transfer, its code and the receiver's token", body = TransferCreated),
        (status = 400, description = "Malformed", body = Problem),
        (status = 409, description = "The id is taken: draw another", body = Problem),
        (status = 429, description = "Too many copies opened from this client; see Retry-After", body = Problem),
        (status = 503, description = "Every code is in use", body = Problem)))]
async fn create(
    State(c): State<Shared>,
    Extension(limit): Extension<Arc<RateLimit>>,
    Peer(client): Peer,
    JsonBody(req): JsonBody<CreateTransfer>,
) -> Answer<Response> {
    if !is_transfer_id(&req.id) {
        return Err(bad("id"));
    }
    let receiver_message = message(&req.receiver_message, b'B', "receiver_message")?;
    if let Some(too_many) = held_back(&limit, client, "open") {
        return Ok(too_many);
    }
    let now = c.now();
    // Copies past their life are wiped now rather than at the next housekeeping round.
    c.store.purge_transfers(now).await.map_err(internal)?;
    let (token, token_hash) = new_token();
    let expires_at = now + LIFE;
    for _ in 0..CODE_DRAWS {
        let code = Slot::random().as_digits();
        let t = NewTransfer {
            id: &req.id,
            code: &code,
            receiver_token_hash: token_hash,
            receiver_message: &receiver_message,
            max_attempts: MAX_ATTEMPTS,
            created_at: now,
            expires_at,
        };
        match c.store.insert_transfer(&t).await.map_err(internal)? {
            Ok(()) => {
                tracing::info!(transfer = %req.id, "certificate copy opened");
                let body = TransferCreated {
                    id: req.id.clone(),
                    code,
                    receiver_token: token,
                    expires_at: rfc3339(expires_at),
                    attempts_left: MAX_ATTEMPTS,
                };
                return Ok((StatusCode::CREATED, Json(body)).into_response());
            }
            Err(TransferClash::Code) => continue,
            Err(TransferClash::Id) => {
                return Err(refuse(
                    StatusCode::CONFLICT,
                    "transfer_id_taken",
                    "같은 번호의 복사 요청이 이미 있습니다. 다시 시도해 주세요.",
                    "A copy with this id exists; draw another id.",
                ))
            }
        }
    }
    Err(refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "transfer_slots_full",
        "지금은 인증서 복사 요청이 많아 인증번호를 만들 수 없습니다. 잠시 후 다시 시도해 주세요.",
        "Too many copies are in progress to make a number; try again in a few minutes.",
    ))
}

/// The receiver's poll: waiting, or the sender's offer to judge.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "transfers",
    params(("id" = String, Path, description = "The transfer id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The transfer as the receiver sees it", body = ReceiverView),
        (status = 403, description = "Not the receiver's token", body = Problem),
        (status = 404, description = "No such transfer", body = Problem),
        (status = 410, description = "Expired, dead or complete", body = Problem)))]
async fn receiver_view(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Answer<Json<ReceiverView>> {
    let token = bearer_hash(&headers)?;
    let t = load(&c, &id).await?;
    if !same(&t.receiver_token_hash, &token) {
        return Err(not_yours());
    }
    closed(&t, c.now())?;
    let (state, offer) = match (t.state, &t.sender_message, &t.sender_confirm, &t.sealed) {
        (TransferState::Offered, Some(m), Some(conf), Some(sealed)) => (
            ReceiverState::Offered,
            Some(OfferBody {
                round: t.round,
                sender_message: b64(m),
                sender_confirm: b64(conf),
                sealed: b64(sealed),
            }),
        ),
        (TransferState::Waiting, ..) => (ReceiverState::Waiting, None),
        _ => return Err(done()),
    };
    Ok(Json(ReceiverView {
        state,
        round: t.round,
        offer,
        attempts_left: t.attempts_left(),
        expires_at: rfc3339(t.expires_at),
    }))
}

/// The receiver found the offer's confirmation wrong (a wrong number): the try counts, and
/// the body carries the receiver's message for the next round.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/reject", tag = "transfers", request_body = Reject,
    params(("id" = String, Path, description = "The transfer id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Waiting for another try, or dead", body = RejectOutcome),
        (status = 409, description = "No offer waits for a verdict", body = Problem)))]
async fn reject(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<Reject>,
) -> Answer<Json<RejectOutcome>> {
    let token = bearer_hash(&headers)?;
    let next = message(&req.receiver_message, b'B', "receiver_message")?;
    let now = c.now();
    match c.store.reject_offer(checked_id(&id)?, &token, &next, now).await.map_err(internal)? {
        Some((state, attempts_left)) => {
            let state = if state == TransferState::Dead {
                tracing::info!(transfer = %id, "certificate copy dead after its last wrong number");
                AfterReject::Dead
            } else {
                AfterReject::Waiting
            };
            Ok(Json(RejectOutcome { state, attempts_left }))
        }
        None => Err(why_not_offered(&c, &id, &token, now).await),
    }
}

/// The receiver kept the certificate: its confirmation goes to the sender, the box is wiped.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/accept", tag = "transfers", request_body = Accept,
    params(("id" = String, Path, description = "The transfer id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Accepted"),
        (status = 409, description = "No offer waits for a verdict", body = Problem)))]
async fn accept(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<Accept>,
) -> Answer<StatusCode> {
    let token = bearer_hash(&headers)?;
    let confirm = bytes(&req.receiver_confirm, "receiver_confirm", CONFIRM_LEN..=CONFIRM_LEN)?;
    let now = c.now();
    if c.store.accept_offer(checked_id(&id)?, &token, &confirm, now).await.map_err(internal)? {
        tracing::info!(transfer = %id, "certificate copy received");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(why_not_offered(&c, &id, &token, now).await)
    }
}

/// Why a verdict found nothing to judge.
async fn why_not_offered(c: &Center, id: &str, token: &[u8; 32], now: OffsetDateTime) -> Refusal {
    let t = match load(c, id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    if !same(&t.receiver_token_hash, token) {
        return not_yours();
    }
    if let Err(r) = closed(&t, now) {
        return r;
    }
    refuse(
        StatusCode::CONFLICT,
        "no_offer",
        "판단할 인증서 전송이 없습니다.",
        "No offer waits for a verdict.",
    )
}

/// The receiver gives up: the transfer is deleted.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/cancel", tag = "transfers",
    params(("id" = String, Path, description = "The transfer id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Cancelled and deleted"), (status = 404, description = "No such transfer of this receiver", body = Problem)))]
async fn cancel(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Answer<StatusCode> {
    let token = bearer_hash(&headers)?;
    if c.store.cancel_transfer(checked_id(&id)?, &token).await.map_err(internal)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

// ---------------------------------------------------------------------------------------------
// The sender

/// The sending device finds the transfer by the code (the number's first four digits).
#[utoipa::path(get, path = "/api/v1/transfers/code/{code}", tag = "transfers",
    params(("code" = String, Path, description = "The number's first four digits")),
    responses(
        (status = 200, description = "The transfer and the receiver's current message", body = TransferLookup),
        (status = 404, description = "No such code", body = Problem),
        (status = 409, description = "Another device is sending", body = Problem),
        (status = 410, description = "Expired, dead or complete", body = Problem),
        (status = 429, description = "Too many codes looked up from this client; see Retry-After", body = Problem)))]
async fn lookup(
    State(c): State<Shared>,
    Extension(limit): Extension<Arc<RateLimit>>,
    Peer(client): Peer,
    UrlPath(code): UrlPath<String>,
) -> Answer<Response> {
    if let Some(too_many) = held_back(&limit, client, "lookup") {
        return Ok(too_many);
    }
    let slot: Slot = code.parse().map_err(|_| not_found())?;
    let t = c
        .store
        .transfer_by_code(&slot.as_digits())
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    closed(&t, c.now())?;
    match (t.state, &t.receiver_message) {
        (TransferState::Waiting, Some(m)) => Ok(Json(TransferLookup {
            id: t.id.clone(),
            round: t.round,
            receiver_message: b64(m),
            expires_at: rfc3339(t.expires_at),
            attempts_left: t.attempts_left(),
        })
        .into_response()),
        (TransferState::Offered, _) => Err(busy()),
        _ => Err(done()),
    }
}

/// One try: the sender's SPAKE2 message, key confirmation and sealed certificate. The try is
/// counted before the offer is kept.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/offer", tag = "transfers", request_body = OfferBody,
    params(("id" = String, Path, description = "The transfer id")),
    responses(
        (status = 202, description = "Kept for the receiver; poll with the attempt token", body = OfferAccepted),
        (status = 409, description = "Another offer waits, or the round is old", body = Problem),
        (status = 410, description = "Expired, dead or complete", body = Problem)))]
async fn offer(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
    JsonBody(req): JsonBody<OfferBody>,
) -> Answer<Response> {
    let id = checked_id(&id)?;
    let sender_message = message(&req.sender_message, b'A', "sender_message")?;
    let sender_confirm = bytes(&req.sender_confirm, "sender_confirm", CONFIRM_LEN..=CONFIRM_LEN)?;
    let sealed = bytes(&req.sealed, "sealed", 28..=MAX_SEALED)?;
    let (token, token_hash) = new_token();
    let o = NewOffer {
        round: req.round,
        attempt_token_hash: token_hash,
        sender_message: &sender_message,
        sender_confirm: &sender_confirm,
        sealed: &sealed,
    };
    match c.store.offer_transfer(id, &o, c.now()).await.map_err(internal)? {
        Ok(attempts_left) => {
            let body = OfferAccepted { attempt_token: token, attempts_left };
            Ok((StatusCode::ACCEPTED, Json(body)).into_response())
        }
        Err(OfferRefused::NotFound) => Err(not_found()),
        Err(OfferRefused::Busy) => Err(busy()),
        Err(OfferRefused::StaleRound) => Err(refuse(
            StatusCode::CONFLICT,
            "stale_round",
            "받는 기기의 정보가 바뀌었습니다. 다시 시도해 주세요.",
            "The receiving device moved on to a new round; fetch the transfer again.",
        )),
        Err(OfferRefused::Expired) | Err(OfferRefused::Closed(TransferState::Expired)) => {
            Err(expired())
        }
        Err(OfferRefused::Closed(TransferState::Dead)) => Err(dead()),
        Err(OfferRefused::Closed(_)) => Err(done()),
    }
}

/// The sender's poll on its try.
#[utoipa::path(get, path = "/api/v1/transfers/{id}/attempt", tag = "transfers",
    params(("id" = String, Path, description = "The transfer id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Pending, wrong number, dead, or accepted with the receiver's confirmation", body = AttemptView),
        (status = 403, description = "Not this try's token", body = Problem),
        (status = 410, description = "Expired", body = Problem)))]
async fn attempt(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Answer<Json<AttemptView>> {
    let token = bearer_hash(&headers)?;
    let t = load(&c, &id).await?;
    if !t.attempt_token_hash.as_deref().is_some_and(|h| same(h, &token)) {
        return Err(not_yours());
    }
    if c.now() >= t.expires_at || t.state == TransferState::Expired {
        return Err(expired());
    }
    let outcome = match t.state {
        TransferState::Offered => AttemptOutcome::Pending,
        TransferState::Waiting => AttemptOutcome::WrongNumber,
        TransferState::Dead => AttemptOutcome::Dead,
        TransferState::Accepted => AttemptOutcome::Accepted,
        TransferState::Expired => return Err(expired()),
    };
    Ok(Json(AttemptView {
        outcome,
        receiver_confirm: t.receiver_confirm.as_deref().map(b64),
        attempts_left: t.attempts_left(),
    }))
}

/// The sender read the receiver's confirmation: the transfer is deleted.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/finish", tag = "transfers",
    params(("id" = String, Path, description = "The transfer id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 409, description = "Not accepted, or not this try", body = Problem)))]
async fn finish(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Answer<StatusCode> {
    let token = bearer_hash(&headers)?;
    if c.store.finish_transfer(checked_id(&id)?, &token).await.map_err(internal)? {
        tracing::info!(transfer = %id, "certificate copy complete");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(refuse(
            StatusCode::CONFLICT,
            "not_accepted",
            "받는 기기가 아직 인증서를 받지 않았습니다.",
            "The receiving device has not accepted this try.",
        ))
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create, receiver_view, reject, accept, cancel, lookup, offer, attempt, finish),
    components(schemas(CreateTransfer, TransferCreated, TransferLookup, OfferBody, OfferAccepted, ReceiverState, ReceiverView, Reject, AfterReject, RejectOutcome, Accept, AttemptOutcome, AttemptView)),
    tags((name = "transfers", description = "인증서 복사: the relay between two devices (docs/copy.md)"))
)]
pub struct TransferApi;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{header, Request};
    use dojang_transfer::{ReceiverRound, Secret};
    use tower::ServiceExt;

    use super::*;

    async fn send(app: &Router, req: Request<Body>, from: &str) -> (StatusCode, HeaderMap) {
        let mut req = req;
        let addr: std::net::SocketAddr = format!("{from}:50000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        let res = app.clone().oneshot(req).await.unwrap();
        (res.status(), res.headers().clone())
    }

    async fn open(app: &Router, from: &str) -> (StatusCode, HeaderMap) {
        let id = dojang_transfer::new_transfer_id();
        let round = ReceiverRound::start(&Secret::generate(), &id);
        let body = serde_json::json!({ "id": id, "receiver_message": b64(round.message()) });
        let req = Request::post("/api/v1/transfers")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        send(app, req, from).await
    }

    async fn look_up(app: &Router, from: &str, code: &str) -> StatusCode {
        let req =
            Request::get(format!("/api/v1/transfers/code/{code}")).body(Body::empty()).unwrap();
        send(app, req, from).await.0
    }

    #[tokio::test]
    async fn one_client_can_neither_hold_every_code_nor_try_codes_without_end() {
        let dir = tempfile::tempdir().unwrap();
        let app = crate::router(super::super::web::tests::center(dir.path()).await);
        for _ in 0..OPEN_QUOTA.per_client {
            assert_eq!(open(&app, "192.0.2.1").await.0, StatusCode::CREATED);
        }
        let (status, headers) = open(&app, "192.0.2.1").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(headers.contains_key(header::RETRY_AFTER));
        assert_eq!(open(&app, "192.0.2.2").await.0, StatusCode::CREATED, "others still can");

        for n in 0..LOOKUP_QUOTA.per_client {
            let status = look_up(&app, "192.0.2.3", &format!("{n:04}")).await;
            assert_ne!(status, StatusCode::TOO_MANY_REQUESTS);
        }
        assert_eq!(look_up(&app, "192.0.2.3", "0000").await, StatusCode::TOO_MANY_REQUESTS);
        assert_ne!(look_up(&app, "192.0.2.4", "0000").await, StatusCode::TOO_MANY_REQUESTS);
    }
}
