//! The csr step when the certificate goes into a security token (`--location token:LABEL`):
//! the key pair is made inside the token, the CSR signed there, and the issued certificate and
//! R stored there beside the key. There is no certificate password: the token's PIN guards it.

use anyhow::bail;
use base64::Engine;
use dojang_client::view::{Issued, Target};
use dojang_client::{csr, ClientError, FlowKind, FlowView, Input, Step};
use dojang_keystore::TokenLabel;

use super::{kst, row, won, Driver};
use crate::cmd::token;

impl Driver {
    /// Proof of possession for a certificate in the token (renewal): the token signs the
    /// center's possession message for this flow.
    pub(super) fn possession_in_token(
        &mut self,
        flow: &FlowView,
        step: &Step,
        label: &TokenLabel,
    ) -> anyhow::Result<FlowView> {
        let t = self.t;
        let session = token::open(t.ko, label)?;
        let cert = session
            .certificate(self.o.serial.as_deref())
            .map_err(|e| token::token_error(t.ko, e))?;
        row(
            t.s("인증서", "Certificate"),
            format!("{} ({} {label})", cert.label, t.s("보안토큰", "security token")),
        );
        row(t.s("일련번호", "Serial"), &cert.serial);
        let nonce = flow.nonce().map_err(|e| t.err(e))?;
        let message = dojang_pki::possession::message(&flow.id, &nonce);
        let signature =
            session.sign(&cert.id, &message).map_err(|e| token::token_error(t.ko, e))?;
        let signature = base64::engine::general_purpose::STANDARD.encode(signature);
        let serial = cert.serial.to_hex();
        let v = self
            .step(flow, step, Input::Possession { serial: &serial, signature: &signature })
            .map_err(|e| t.err(e))?;
        println!("{}", t.s("  인증서가 확인되었습니다.", "  The certificate is confirmed."));
        if let Ok(target) = v.output_as::<Target>("possession") {
            self.fee = target.fee_krw.or(self.fee);
            self.target = Some(target);
        }
        Ok(v)
    }

    pub(super) fn csr_in_token(
        &mut self,
        flow: &FlowView,
        step: &Step,
        label: &TokenLabel,
    ) -> anyhow::Result<FlowView> {
        let t = self.t;
        let summary = self.summary.clone().unwrap_or_default();
        let Some(subject_text) = summary.csr_subject.clone() else {
            bail!(
                "{}",
                t.s(
                    "인증센터가 인증서의 사용자 정보를 알려 주지 않았습니다.",
                    "the center did not say which subject to request"
                )
            );
        };
        if !summary.key_types.is_empty() && !summary.key_types.iter().any(|k| k == "rsa2048") {
            bail!(
                "{}",
                t.s(
                    "이 인증서 종류는 보안토큰의 RSA-2048 키를 쓸 수 없습니다.",
                    "this product does not allow the token's RSA-2048 key"
                )
            );
        }
        let subject = csr::parse_openssl_subject(&subject_text)?;
        println!("\n  · {}", t.s("저장 위치", "Where to store it"));
        row(t.s("저장 위치", "Location"), format!("{} {label}", t.s("보안토큰", "security token")));
        let session = token::open(t.ko, label)?;
        println!(
            "{}",
            t.s(
                "  보안토큰 안에서 키 쌍을 만드는 중입니다 (RSA-2048). 개인키는 보안토큰 밖으로 나가지 않습니다.",
                "  Making the key pair inside the security token (RSA-2048); the private key never leaves it."
            )
        );
        let name = subject_text.rsplit("CN=").next().unwrap_or("dojang").to_string();
        let key = session.generate_rsa(&name).map_err(|e| token::token_error(t.ko, e))?;
        let req =
            csr::build_signed_by(subject, key.public_key.clone(), csr::sha256_with_rsa(), |tbs| {
                session.sign(&key.id, tbs)
            })?;
        let pem = csr::to_pem(&req)?;
        let answer = self.step(flow, step, Input::Csr { pem: &pem });
        let v = match answer {
            Ok(v) => v,
            Err(e) => {
                // Nothing was issued for a refused request: leave no orphan key in the token.
                if !matches!(e, ClientError::Unreachable { .. } | ClientError::BadResponse { .. }) {
                    let _ = session.delete(&key.id);
                }
                return Err(t.err(e));
            }
        };
        let issued: Issued = v.output_as("the certificate").map_err(|e| t.err(e))?;
        let der = issued.certificate_der().map_err(|e| t.err(e))?;
        let cert = <x509_cert::Certificate as der::Decode>::from_der(&der)?;
        if cert.tbs_certificate.subject_public_key_info != key.public_key {
            bail!(
                "{} {}",
                issued.serial,
                t.s(
                    "인증서가 보안토큰의 키에 대한 것이 아닙니다.",
                    "is not a certificate for the token's key"
                )
            );
        }
        session.store_certificate(&key.id, &name, &der).map_err(|e| token::token_error(t.ko, e))?;
        if let Some(r) = issued.random_num().map_err(|e| t.err(e))? {
            session.store_random_num(&key.id, &r).map_err(|e| token::token_error(t.ko, e))?;
        }
        // A renewal or reissue revoked the old certificate: its key pair goes from the token.
        if let Some(old) = issued.superseded.as_deref() {
            if let Ok(c) = session.certificate(Some(old)) {
                if c.id != key.id {
                    let _ = session.delete(&c.id);
                }
            }
        }
        let done = match self.o.kind {
            FlowKind::Reissue => t.s("인증서를 재발급했습니다.", "The certificate is reissued."),
            FlowKind::Renew => t.s("인증서를 갱신했습니다.", "The certificate is renewed."),
            _ => t.s("인증서를 발급했습니다.", "The certificate is issued."),
        };
        println!("\n✔ {done}");
        row(t.s("사용자", "Subject"), &issued.subject);
        row(t.s("일련번호", "Serial"), &issued.serial);
        if let Ok(info) =
            dojang_keystore::CertInfo::parse(&der, &dojang_keystore::default_products())
        {
            row(
                t.s("유효기간", "Valid"),
                format!("{} ~ {}", kst(info.not_before), kst(info.not_after)),
            );
        }
        row(
            t.s("수수료", "Fee"),
            if issued.fee_krw > 0 {
                won(t, issued.fee_krw)
            } else {
                t.s("없음", "none").to_string()
            },
        );
        row(
            t.s("저장 위치", "Stored in"),
            format!("{} {label} (PKCS#11)", t.s("보안토큰", "security token")),
        );
        if let Some(old) = &issued.superseded {
            println!(
                "{}",
                t.f(
                    format!("  이전 인증서(일련번호 {old})는 폐기되었습니다."),
                    format!("  The previous certificate (serial {old}) is revoked."),
                )
            );
        }
        Ok(v)
    }
}
