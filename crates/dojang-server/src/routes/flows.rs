//! `/api/v1/flows`: the center's flows over JSON, and `/api/v1/terms`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_flows::error::Category;
use dojang_flows::{FlowError, FlowView, StartFlow};
use serde::Serialize;

use super::input::{JsonBody, UrlPath};
use crate::center::Center;

type Shared = Arc<Center>;

/// How a refused or failed request is answered.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A stable code for programs, e.g. `flow_expired`, `wrong_code`, `insufficient_funds`.
    pub error: String,
    /// What failed and what to do next, in Korean.
    pub message_ko: String,
    /// The same in English.
    pub message_en: String,
    /// For checks that count: how many tries remain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
}

pub(crate) struct ApiFlowError(pub FlowError);

impl IntoResponse for ApiFlowError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = match e.category() {
            Category::BadInput => StatusCode::BAD_REQUEST,
            Category::NotFound => StatusCode::NOT_FOUND,
            Category::Conflict => StatusCode::CONFLICT,
            Category::Gone => StatusCode::GONE,
            Category::Forbidden => StatusCode::FORBIDDEN,
            Category::Locked => StatusCode::LOCKED,
            Category::Refused => StatusCode::UNPROCESSABLE_ENTITY,
            Category::Internal => {
                tracing::error!(error = %e, "flow step failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let body = Problem {
            error: e.code(),
            message_ko: e.message_ko(),
            message_en: e.message_en(),
            attempts_left: e.attempts_left(),
        };
        (status, Json(body)).into_response()
    }
}

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/api/v1/terms", get(terms))
        .route("/api/v1/flows", post(start))
        .route("/api/v1/flows/{id}", get(show))
        .route("/api/v1/flows/{id}/{step}", post(step))
}

/// The terms a customer accepts before a certificate is issued.
#[utoipa::path(get, path = "/api/v1/terms", tag = "flows",
    responses((status = 200, description = "The terms, mandatory ones first", body = [dojang_flows::terms::Term])))]
async fn terms() -> Json<&'static [dojang_flows::terms::Term]> {
    Json(dojang_flows::terms::TERMS)
}

/// Starts a flow: issue, reissue, renew, revoke, suspend or resume.
#[utoipa::path(post, path = "/api/v1/flows", tag = "flows", request_body = StartFlow,
    responses(
        (status = 201, description = "The new flow and its first step", body = FlowView),
        (status = 400, description = "Not a valid start", body = Problem)))]
async fn start(
    State(c): State<Shared>,
    JsonBody(req): JsonBody<StartFlow>,
) -> Result<(StatusCode, Json<FlowView>), ApiFlowError> {
    let view = c.flows.start(req, c.now()).await.map_err(ApiFlowError)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A flow as it stands: its steps (with the step indicator), the next one, the last output.
#[utoipa::path(get, path = "/api/v1/flows/{id}", tag = "flows",
    params(("id" = String, Path, description = "The flow id")),
    responses(
        (status = 200, body = FlowView),
        (status = 404, body = Problem),
        (status = 410, description = "Expired", body = Problem)))]
async fn show(
    State(c): State<Shared>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<FlowView>, ApiFlowError> {
    Ok(Json(c.flows.view(&id, c.now()).await.map_err(ApiFlowError)?))
}

/// Takes the next step. The step must be the flow's next one; its input depends on the step:
///
/// - `terms`: `{"accepted": ["electronic-finance", …]}`
/// - `identify`: `{"banking_id": "…", "rrn": "9001011234567"}` (plus `name` / `password` when the policy asks)
/// - `product`: `{"product": "personal-bank"}`
/// - `select`: `{"serial": "0A1B…"}` (optional when the customer has one fitting certificate)
/// - `possession`: `{"serial": "…", "signature": "<base64>"}`: the certificate's key signs
///   `"dojang proof of possession v1\n" + flow id + "\n" + nonce` (SHA-256, PKCS#1 v1.5 or ECDSA)
/// - `check-ars`, `check-sms`, `check-security-card`, `check-otp`, `check-second-factor`,
///   `check-one-won`, `check-id-card`: `{"action": "start"}`, then
///   `{"action": "answer", "code": "…"}` (security card: `"first"`, `"second"`;
///   ID card: `"id_kind"`, `"id_number"`, `"issue_date"`)
/// - `payment`: `{"account": "…", "password": "1234"}`
/// - `reason`: `{"reason": "keyCompromise"}`
/// - `confirm`: `{"confirm": true}`; its output has the `csr_subject` to request
/// - `csr`: `{"csr": "-----BEGIN CERTIFICATE REQUEST-----…"}`; its output has the certificate,
///   the chain and `random_num` (R, for the key file's randomNum attribute)
#[utoipa::path(post, path = "/api/v1/flows/{id}/{step}", tag = "flows",
    params(("id" = String, Path, description = "The flow id"), ("step" = String, Path, description = "The step name")),
    request_body(content = Object, description = "The step's input (see above)"),
    responses(
        (status = 200, description = "The flow after the step", body = FlowView),
        (status = 400, description = "Bad input", body = Problem),
        (status = 403, description = "A check failed", body = Problem),
        (status = 404, description = "No such flow", body = Problem),
        (status = 409, description = "Not the next step, or taken twice", body = Problem),
        (status = 410, description = "The flow expired", body = Problem),
        (status = 422, description = "Refused (not enough money, outside the renewal window, …)", body = Problem),
        (status = 423, description = "Locked after too many failures", body = Problem)))]
async fn step(
    State(c): State<Shared>,
    UrlPath((id, step)): UrlPath<(String, String)>,
    JsonBody(input): JsonBody<serde_json::Value>,
) -> Result<Json<FlowView>, ApiFlowError> {
    Ok(Json(c.flows.step(&id, &step, input, c.now()).await.map_err(ApiFlowError)?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "dojang 인증센터 API", description = "The certificate center's flows, status and public material."),
    paths(terms, start, show, step),
    components(schemas(Problem, FlowView, StartFlow, dojang_flows::StepInfo, dojang_flows::Step, dojang_flows::FlowKind, dojang_flows::Method, dojang_flows::terms::Term)),
    tags((name = "flows", description = "발급·재발급·갱신·폐기·효력정지·효력회복"))
)]
pub struct FlowsApi;
