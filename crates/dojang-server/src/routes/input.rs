//! What a request brings — its JSON body, its path, its query string — read so that a refusal
//! is the API's own answer (`{error, message_ko, message_en}`, Korean first) and names the
//! field without repeating what was sent in it. axum's own extractors answer in English plain
//! text, and serde's words quote the value: a PIN or a resident registration number typed as a
//! number would come back in the answer.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::web::Refusal;

/// A JSON request body (`Content-Type: application/json`), read with `dojang_json`.
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Refusal;

    async fn from_request(req: Request, state: &S) -> Result<Self, Refusal> {
        if !is_json(req.headers()) {
            return Err(not_json());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(unreadable)?;
        dojang_json::from_slice(&bytes).map(JsonBody).map_err(bad_json)
    }
}

/// A body that may be left out altogether (no `Content-Type`); one that is sent must be JSON.
impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for JsonBody<T> {
    type Rejection = Refusal;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Refusal> {
        if req.headers().get(header::CONTENT_TYPE).is_none() {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}

/// The path's parameters (`/staff/customers/{id}`).
pub(crate) struct UrlPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for UrlPath<T> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        // The rejection's text quotes the segment: only that it failed is kept.
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(UrlPath(value)),
            Err(_) => Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "bad_path",
                "요청한 주소가 올바르지 않습니다. 화면의 링크나 버튼으로 다시 시도해 주세요.",
                "The address is not valid (a part of the path is not what this request takes); use the page's own links.",
            )),
        }
    }
}

/// The query string (`?after=12`).
pub(crate) struct UrlQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for UrlQuery<T> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(UrlQuery(value)),
            Err(_) => Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                "요청한 조회 조건이 올바르지 않습니다. 화면에서 다시 조회해 주세요.",
                "The query string is not valid (a parameter is not what this request takes); search again from the page.",
            )),
        }
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The refusal of a body that is not JSON; the guard gives it too, before any route.
pub(crate) fn not_json() -> Refusal {
    Refusal::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "json_required",
        "요청 형식이 올바르지 않습니다 (JSON만 받습니다). 페이지를 새로 고친 뒤 다시 시도해 주세요.",
        "The request must be JSON (Content-Type: application/json).",
    )
}

fn unreadable(e: axum::extract::rejection::BytesRejection) -> Refusal {
    if crate::connections::too_slow(&e) {
        Refusal::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_too_slow",
            "요청 내용이 제한 시간 안에 도착하지 않았습니다. 네트워크 연결을 확인한 뒤 다시 시도해 주세요.",
            "The request body did not arrive whole in the time allowed; check the connection and send it again.",
        )
    } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "요청 내용이 너무 큽니다. 보내는 내용을 확인해 주세요.",
            "The request body is larger than this request takes.",
        )
    } else {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "body_unreadable",
            "요청 내용을 끝까지 받지 못했습니다. 다시 시도해 주세요.",
            "The request body could not be read to its end; send it again.",
        )
    }
}

fn bad_json(e: dojang_json::JsonError) -> Refusal {
    Refusal::bad_input(format!("입력한 내용을 확인해 주세요: {}", e.message_ko()), e.message_en())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::connections::guards::{trickle, DeadlineBody};

    #[tokio::test(start_paused = true)]
    async fn a_body_past_its_deadline_is_refused_as_too_slow_not_as_bad() {
        let body =
            DeadlineBody::new(trickle(Duration::from_millis(300), 100), Duration::from_secs(1));
        let request = axum::http::Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::new(body))
            .expect("request");
        let refusal = <JsonBody<serde_json::Value> as FromRequest<()>>::from_request(request, &())
            .await
            .err()
            .expect("refused");
        let answer = axum::response::IntoResponse::into_response(refusal);
        assert_eq!(answer.status(), StatusCode::REQUEST_TIMEOUT);
    }
}
