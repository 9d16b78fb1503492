//! `/api/v1/simulator`: the local simulator's side of the outside world — what the center
//! sent to a phone number, e-mail address or account (SMS, ARS calls, e-mail, deposits) — so
//! that a person can run the demo alone and the web page can show "the phone".

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::input::{UrlPath, UrlQuery};
use crate::center::Center;

type Shared = Arc<Center>;

pub fn router() -> Router<Shared> {
    Router::new().route("/api/v1/simulator/inbox/{address}", get(inbox))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct After {
    /// Only messages after this id (0: all).
    #[serde(default)]
    after: i64,
}

/// One message the simulated phone (or mailbox, or banking app) received.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InboxItem {
    pub id: i64,
    /// `sms`, `ars`, `email` or `transfer`.
    pub channel: String,
    pub address: String,
    pub body: String,
    /// RFC 3339.
    pub at: String,
}

/// What the simulated outside world delivered to `address`, oldest first.
#[utoipa::path(get, path = "/api/v1/simulator/inbox/{address}", tag = "simulator",
    params(("address" = String, Path, description = "Phone number, e-mail address or account number"), After),
    responses((status = 200, body = [InboxItem])))]
async fn inbox(
    State(c): State<Shared>,
    UrlPath(address): UrlPath<String>,
    UrlQuery(after): UrlQuery<After>,
) -> Result<Json<Vec<InboxItem>>, super::ApiError> {
    let messages = dojang_outside::list_inbox(&c.store, &address, after.after)
        .await
        .map_err(super::internal)?;
    Ok(Json(
        messages
            .into_iter()
            .map(|m| InboxItem {
                id: m.id,
                channel: m.channel.as_str().to_string(),
                address: m.address,
                body: m.body,
                at: m.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            })
            .collect(),
    ))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(inbox), components(schemas(InboxItem)),
    tags((name = "simulator", description = "The local telephone/SMS/e-mail simulator (demo and tests)")))]
pub struct SimulatorApi;
