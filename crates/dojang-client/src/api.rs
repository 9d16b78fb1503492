//! The blocking HTTP client of the center's flow API (`/api/v1`).
//!
//! One request per call, no retries: a step that reached the center but whose answer was lost
//! must not be sent twice blindly (the center would refuse the replay anyway); the caller
//! reads the flow again with [`Client::view`] instead.

use std::io::Read as _;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::{ApiError, ClientError};
use crate::input::Input;
use crate::view::{FlowKind, FlowView, Method, Step, Term};

/// Waiting longer than this for a connection means the center is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A step's whole exchange; signing a certificate takes milliseconds, an ARS call's start a
/// few seconds at most.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest JSON answer read: a flow's answer with its certificates is a few kilobytes.
const MAX_ANSWER: u64 = 16 << 20;

/// A client of one center.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish_non_exhaustive()
    }
}

/// Flow ids and step names go into the URL path: only these characters are let through, so
/// that nothing the center (or a man in the middle) sends can redirect a request elsewhere.
fn path_safe(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Client {
    /// A client of the center at `base_url` (`http://127.0.0.1:8080`).
    ///
    /// Only `http://` is spoken: this build has no TLS, so an `https://` center is refused
    /// here rather than failing obscurely at the first request.
    pub fn new(base_url: &str) -> Result<Client, ClientError> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        let bad = |why| ClientError::BadUrl { url: base_url.to_string(), why };
        if base.starts_with("https://") {
            return Err(bad("this client speaks plain HTTP only (no TLS built in); put the center behind http:// on a trusted network or a local TLS proxy"));
        }
        let Some(rest) = base.strip_prefix("http://") else {
            return Err(bad("it must start with http://"));
        };
        if rest.is_empty() || rest.starts_with('/') {
            return Err(bad("it names no host"));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("dojang-client/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Client { base, agent })
    }

    /// The center's base URL, as given (without a trailing `/`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Starts a flow (`POST /api/v1/flows`).
    pub fn start(&self, kind: FlowKind, method: Option<Method>) -> Result<FlowView, ClientError> {
        #[derive(serde::Serialize)]
        struct Start {
            kind: FlowKind,
            #[serde(skip_serializing_if = "Option::is_none")]
            method: Option<Method>,
        }
        let body = serde_json::to_vec(&Start { kind, method })
            .map_err(|e| self.unreadable("the start of the flow", e.to_string()))?;
        let url = format!("{}/api/v1/flows", self.base);
        self.read("the new flow", self.send(self.agent.post(&url), &url, &body))
    }

    /// The flow as it stands (`GET /api/v1/flows/{id}`).
    pub fn view(&self, id: &str) -> Result<FlowView, ClientError> {
        let url = format!("{}/api/v1/flows/{}", self.base, self.checked(id)?);
        let result = self.agent.get(&url).set("Accept", "application/json").call();
        self.read("the flow", self.outcome(result, &url))
    }

    /// Takes a step (`POST /api/v1/flows/{id}/{step}`).
    pub fn step(&self, id: &str, step: &Step, input: Input<'_>) -> Result<FlowView, ClientError> {
        let url = format!(
            "{}/api/v1/flows/{}/{}",
            self.base,
            self.checked(id)?,
            self.checked(step.name())?
        );
        let body = input.to_body().map_err(|e| self.unreadable(input.kind(), e.to_string()))?;
        self.read(step.name(), self.send(self.agent.post(&url), &url, &body))
    }

    /// Posts any JSON to a step, for tests and tools that exercise the API's refusals.
    pub fn raw_step(
        &self,
        id: &str,
        step: &str,
        input: &serde_json::Value,
    ) -> Result<FlowView, ClientError> {
        let url =
            format!("{}/api/v1/flows/{}/{}", self.base, self.checked(id)?, self.checked(step)?);
        let body = serde_json::to_vec(input).map_err(|e| self.unreadable(step, e.to_string()))?;
        self.read(step, self.send(self.agent.post(&url), &url, &body))
    }

    /// The terms of the certificate service (`GET /api/v1/terms`).
    pub fn terms(&self) -> Result<Vec<Term>, ClientError> {
        let url = format!("{}/api/v1/terms", self.base);
        let result = self.agent.get(&url).set("Accept", "application/json").call();
        self.read("the terms", self.outcome(result, &url))
    }

    fn checked<'s>(&self, part: &'s str) -> Result<&'s str, ClientError> {
        if path_safe(part) {
            Ok(part)
        } else {
            Err(self.unreadable("a flow id or step name", format!("{part:?} is not a safe name")))
        }
    }

    fn unreadable(&self, what: &str, reason: String) -> ClientError {
        ClientError::BadResponse { what: what.to_string(), reason }
    }

    fn send(
        &self,
        req: ureq::Request,
        url: &str,
        body: &[u8],
    ) -> Result<ureq::Response, ClientError> {
        let result = req
            .set("Content-Type", "application/json")
            .set("Accept", "application/json")
            .send_bytes(body);
        self.outcome(result, url)
    }

    /// A response, or the center's refusal read from its body, or why there was none.
    fn outcome(
        &self,
        result: Result<ureq::Response, ureq::Error>,
        url: &str,
    ) -> Result<ureq::Response, ClientError> {
        match result {
            Ok(resp) => Ok(resp),
            Err(ureq::Error::Status(status, resp)) => {
                let body = resp.into_string().unwrap_or_default();
                Err(ClientError::Api(ApiError::from_response(status, &body)))
            }
            Err(ureq::Error::Transport(t)) => {
                let reason = match t.kind() {
                    ureq::ErrorKind::ConnectionFailed => "connection refused".to_string(),
                    ureq::ErrorKind::Dns => "the host name does not resolve".to_string(),
                    ureq::ErrorKind::Io => "no answer in time, or the connection broke".to_string(),
                    _ => t.to_string(),
                };
                Err(ClientError::Unreachable { url: url.to_string(), reason })
            }
        }
    }

    /// `GET {base}{path}` with an optional bearer token, read as JSON (for the other APIs of
    /// this crate, e.g. [`crate::transfer`]).
    pub(crate) fn get_json<T: DeserializeOwned>(
        &self,
        what: &str,
        path: &str,
        bearer: Option<&str>,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.agent.get(&url).set("Accept", "application/json");
        if let Some(token) = bearer {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        self.read(what, self.outcome(req.call(), &url))
    }

    /// `POST {base}{path}` with a JSON body and an optional bearer token; the answer's JSON,
    /// or `None` for an empty answer (204).
    pub(crate) fn post_json<T: DeserializeOwned>(
        &self,
        what: &str,
        path: &str,
        body: &impl serde::Serialize,
        bearer: Option<&str>,
    ) -> Result<Option<T>, ClientError> {
        let url = format!("{}{path}", self.base);
        let bytes = serde_json::to_vec(body).map_err(|e| self.unreadable(what, e.to_string()))?;
        let mut req = self.agent.post(&url);
        if let Some(token) = bearer {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        let resp = self.send(req, &url, &bytes)?;
        if resp.status() == 204 {
            return Ok(None);
        }
        self.read(what, Ok(resp)).map(Some)
    }

    /// The answer's JSON. The body is read whole, then parsed: parsing from the socket's
    /// reader goes a byte at a time through `io::Read`, several times the cost for the
    /// certificate-sized answers of the flows. An answer larger than any the center gives is
    /// refused rather than read into memory.
    fn read<T: DeserializeOwned>(
        &self,
        what: &str,
        resp: Result<ureq::Response, ClientError>,
    ) -> Result<T, ClientError> {
        let mut body = Vec::new();
        resp?
            .into_reader()
            .take(MAX_ANSWER + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.unreadable(what, e.to_string()))?;
        if body.len() as u64 > MAX_ANSWER {
            let limit = MAX_ANSWER >> 20;
            return Err(self.unreadable(what, format!("the answer is larger than {limit} MiB")));
        }
        serde_json::from_slice(&body).map_err(|e| self.unreadable(what, e.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// A one-request HTTP server answering `status` with `body`; returns the base URL and a
    /// handle giving the request it received.
    fn one_shot(status: u16, body: &'static str) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                head.push_str(&line);
                if line == "\r\n" {
                    break;
                }
            }
            let mut req_body = vec![0u8; length];
            reader.read_exact(&mut req_body).unwrap();
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(reply.as_bytes()).unwrap();
            format!("{head}{}", String::from_utf8(req_body).unwrap())
        });
        (base, handle)
    }

    #[test]
    fn a_refusal_becomes_a_typed_error() {
        let (base, server) = one_shot(
            422,
            r#"{"error":"insufficient_funds","message_ko":"출금계좌의 잔액이 부족합니다.","message_en":"Not enough money."}"#,
        );
        let client = Client::new(&base).unwrap();
        let id = "0123456789abcdef0123456789abcdef";
        let err = client
            .step(id, &Step::Payment, Input::Payment { account: "111-22-333333", password: "0000" })
            .unwrap_err();
        let api = err.api().unwrap();
        assert_eq!((api.status, api.code.as_str()), (422, "insufficient_funds"));
        assert_eq!(api.message_ko, "출금계좌의 잔액이 부족합니다.");
        let request = server.join().unwrap();
        assert!(request.starts_with(&format!("POST /api/v1/flows/{id}/payment ")), "{request}");
        assert!(request.contains(r#"{"account":"111-22-333333","password":"0000"}"#));
    }

    #[test]
    fn an_answer_larger_than_any_the_center_gives_is_refused_not_read() {
        let huge: &'static str = Box::leak(format!("[{}0]", "0,".repeat(9 << 20)).into_boxed_str());
        let (base, _server) = one_shot(200, huge);
        let client = Client::new(&base).unwrap();
        let err = client.terms().unwrap_err().to_string();
        assert!(err.contains("larger than 16 MiB"), "{err}");
    }

    #[test]
    fn a_flow_view_comes_back_typed() {
        let (base, server) = one_shot(
            201,
            r#"{"id":"abc","kind":"revoke","finished":false,"next":{"name":"possession","number":1,"total":3,"title_ko":"인증서 확인","title_en":"Current certificate","done":false},"steps":[],"expires_at":"2030-01-01T00:00:00Z","output":{"terms":[]},"possession_nonce":"AAEC"}"#,
        );
        let client = Client::new(&format!("{base}/")).unwrap();
        let v = client.start(FlowKind::Revoke, Some(Method::Certificate)).unwrap();
        assert_eq!(v.next_step(), Some(&Step::Possession));
        assert_eq!(v.nonce().unwrap(), vec![0, 1, 2]);
        let request = server.join().unwrap();
        assert!(request.starts_with("POST /api/v1/flows "), "{request}");
        assert!(request.contains(r#"{"kind":"revoke","method":"certificate"}"#), "{request}");
    }

    #[test]
    fn urls_and_ids_are_checked() {
        assert!(matches!(Client::new("https://bank.example"), Err(ClientError::BadUrl { .. })));
        assert!(matches!(Client::new("ftp://x"), Err(ClientError::BadUrl { .. })));
        assert!(matches!(Client::new("http://"), Err(ClientError::BadUrl { .. })));
        let c = Client::new("http://127.0.0.1:1").unwrap();
        assert!(matches!(c.view("../../admin"), Err(ClientError::BadResponse { .. })));
        assert!(matches!(c.view("abc"), Err(ClientError::Unreachable { .. })));
    }
}
