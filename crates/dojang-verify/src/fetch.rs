//! HTTP for status and issuer certificates: plain `http://` (as NPKI CAs publish CRLs and OCSP),
//! short timeouts so that a dead responder refuses a login in seconds rather than hanging it,
//! and a size limit so a hostile URL in a certificate cannot make us read without end.

use std::io::Read;
use std::time::Duration;

/// Connecting longer than this means the issuer's server is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A whole exchange.
const TIMEOUT: Duration = Duration::from_secs(10);
/// An OCSP response or a certificate is a few kilobytes; CRLs of large CAs are megabytes.
pub(crate) const MAX_SMALL: u64 = 256 * 1024;
pub(crate) const MAX_CRL: u64 = 32 * 1024 * 1024;

/// Fetches from issuers' servers.
#[derive(Clone)]
pub struct Fetcher {
    agent: ureq::Agent,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fetcher")
    }
}

impl Default for Fetcher {
    fn default() -> Self {
        Fetcher {
            agent: ureq::AgentBuilder::new()
                .timeout_connect(CONNECT_TIMEOUT)
                .timeout(TIMEOUT)
                .redirects(0)
                .user_agent(concat!("dojang-verify/", env!("CARGO_PKG_VERSION")))
                .build(),
        }
    }
}

fn checked(url: &str) -> Result<&str, String> {
    match url.strip_prefix("http://") {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(url),
        _ => Err(format!("{url} is not an http:// URL")),
    }
}

fn body(resp: ureq::Response, limit: u64, url: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    resp.into_reader()
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("reading {url}: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!("{url} answered with more than {limit} bytes"));
    }
    Ok(out)
}

fn failed(url: &str, e: ureq::Error) -> String {
    match e {
        ureq::Error::Status(code, _) => format!("{url} answered HTTP {code}"),
        ureq::Error::Transport(t) => format!("{url} cannot be reached ({})", t.kind()),
    }
}

impl Fetcher {
    pub fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, String> {
        let url = checked(url)?;
        let resp = self.agent.get(url).call().map_err(|e| failed(url, e))?;
        body(resp, limit, url)
    }

    pub fn post(&self, url: &str, content_type: &str, data: &[u8]) -> Result<Vec<u8>, String> {
        let url = checked(url)?;
        let resp = self
            .agent
            .post(url)
            .set("Content-Type", content_type)
            .send_bytes(data)
            .map_err(|e| failed(url, e))?;
        body(resp, MAX_SMALL, url)
    }
}
