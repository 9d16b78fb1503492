//! The security token (보안토큰) for the client commands: `--location token:LABEL` on `cert
//! issue | reissue` (the key is made in the token, the CSR signed there, the certificate and
//! R kept there) and on `login` (the challenge signed there).
//!
//! The PKCS#11 library is `$DOJANG_PKCS11_MODULE`, else SoftHSM2 where it is installed; the
//! user PIN comes from `$DOJANG_TOKEN_PIN` or the terminal without echo, never argv.

use anyhow::Context;
use dojang_keystore::{Location, Medium, TokenLabel};
use dojang_token::{Module, Session, TokenError, ENV_PIN};
use zeroize::Zeroizing;

use super::login::T;

/// `--location` for commands that can also use a security token.
pub(crate) fn parse_medium(s: &str) -> Result<Medium, String> {
    s.parse().map_err(|e: dojang_keystore::medium::BadMedium| e.to_string())
}

/// An NPKI folder or a token, as the two option fields the flows keep.
pub(crate) fn split(m: Option<Medium>) -> (Option<Location>, Option<TokenLabel>) {
    match m {
        Some(Medium::Npki(l)) => (Some(l), None),
        Some(Medium::Token(t)) => (None, Some(t)),
        None => (None, None),
    }
}

/// A token error as a sentence for the customer.
pub(crate) fn token_error(ko: bool, e: TokenError) -> anyhow::Error {
    let t = T { ko };
    let ko = match &e {
        TokenError::NoModule { env } => format!("보안토큰 프로그램(PKCS#11 모듈)을 찾을 수 없습니다. 보안토큰 프로그램을 설치하거나 ${env}에 모듈 경로를 지정해 주세요."),
        TokenError::NoToken { label, present } => format!("이름이 {label:?}인 보안토큰이 연결되어 있지 않습니다 (연결된 보안토큰: {present:?}). 보안토큰을 꽂고 다시 시도해 주세요."),
        TokenError::WrongPin => "보안토큰 PIN이 틀렸습니다. 여러 번 틀리면 보안토큰이 잠깁니다.".to_string(),
        TokenError::PinLocked => "보안토큰 PIN이 잠겼습니다. 보안토큰 관리 프로그램에서 잠금을 풀어 주세요.".to_string(),
        TokenError::NoCertificate(_) => "보안토큰에 인증서가 없습니다.".to_string(),
        TokenError::Ambiguous(n) => format!("보안토큰에 인증서가 {n}개 있습니다. --serial로 하나를 지정해 주세요."),
        _ => format!("보안토큰을 사용할 수 없습니다: {e}"),
    };
    anyhow::anyhow!("{}", if t.ko { ko } else { e.to_string() })
}

/// The token's user PIN.
fn pin(t: T) -> anyhow::Result<Zeroizing<String>> {
    if let Some(p) = std::env::var(ENV_PIN).ok().filter(|v| !v.is_empty()) {
        return Ok(Zeroizing::new(p));
    }
    rpassword::prompt_password(t.s("보안토큰 PIN: ", "Security token PIN: "))
        .map(Zeroizing::new)
        .with_context(|| {
            format!(
                "{} ${ENV_PIN}",
                t.s("PIN을 입력받을 터미널이 없습니다:", "no terminal to ask for the PIN; set")
            )
        })
}

/// A session with the token `label`, logged in with the customer's PIN.
pub(crate) fn open(ko: bool, label: &TokenLabel) -> anyhow::Result<Session> {
    let t = T { ko };
    let module = Module::open_default().map_err(|e| token_error(t.ko, e))?;
    let token = module.token(label.as_str()).map_err(|e| token_error(t.ko, e))?;
    let pin = pin(t)?;
    token.login(&pin).map_err(|e| token_error(t.ko, e))
}

/// What certificate login needs from the token: the certificate, the signature over
/// `message` made inside the token, and R.
pub(crate) struct TokenProof {
    pub certificate: Vec<u8>,
    pub signature: Vec<u8>,
    pub random_num: Option<Zeroizing<Vec<u8>>>,
}

pub(crate) fn login_proof(
    ko: bool,
    label: &TokenLabel,
    serial: Option<&str>,
    message: &[u8],
) -> anyhow::Result<TokenProof> {
    let t = T { ko };
    let session = open(t.ko, label)?;
    let cert = session.certificate(serial).map_err(|e| token_error(t.ko, e))?;
    println!(
        "{} {} ({} {label})",
        t.s("인증서:", "Certificate:"),
        cert.label,
        t.s("보안토큰", "security token")
    );
    println!("  {} {}", t.s("일련번호", "serial"), cert.serial);
    let signature = session.sign(&cert.id, message).map_err(|e| token_error(t.ko, e))?;
    let random_num =
        session.random_num(&cert.id).map_err(|e| token_error(t.ko, e))?.map(Zeroizing::new);
    Ok(TokenProof { certificate: cert.der, signature, random_num })
}
