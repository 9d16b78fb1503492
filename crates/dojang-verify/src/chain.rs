//! Path building and checking (RFC 5280 §6, the parts a relying party of NPKI needs): from
//! the leaf up through issuers whose names and keys fit, each signature checked, to a
//! certificate configured as trusted. Every certificate on the way must be in its validity
//! period; issuers must be CAs allowed to sign certificates, within their path length.

use flagset::FlagSet;
use time::OffsetDateTime;
use x509_cert::ext::pkix::KeyUsages;

use crate::cert::Cert;
use crate::refusal::Refusal;
use dojang_pki::sig;

/// Longer chains than this are not NPKI (root → CA → leaf) and are refused.
const MAX_DEPTH: usize = 5;

/// A certificate that may end a path, with the index of the issuer configuration it belongs to.
pub(crate) struct Anchor<'a> {
    pub cert: &'a Cert,
    pub issuer: usize,
}

/// Checks that `issuer` signed `cert`.
pub(crate) fn signed_by(cert: &Cert, issuer: &Cert) -> Result<(), Refusal> {
    let which = || format!("{} signed by {}", cert.subject(), issuer.subject());
    if cert.cert.signature_algorithm != cert.cert.tbs_certificate.signature {
        return Err(Refusal::BadSignature {
            which: format!("{}: the two signature algorithms differ", which()),
        });
    }
    let tbs = cert.tbs_der()?;
    let sig =
        cert.cert.signature.as_bytes().ok_or_else(|| Refusal::BadSignature { which: which() })?;
    sig::verify(
        &issuer.cert.tbs_certificate.subject_public_key_info,
        &cert.cert.signature_algorithm,
        &tbs,
        sig,
    )
    .map_err(|e| Refusal::BadSignature { which: format!("{}: {e}", which()) })
}

/// The leaf may sign (a login, a transaction): not a CA, and digitalSignature or
/// nonRepudiation when key usage is limited.
fn check_leaf(leaf: &Cert) -> Result<(), Refusal> {
    let (ca, _) = leaf.basic_constraints()?;
    if ca {
        return Err(Refusal::Malformed {
            why: "it is a CA certificate, not a person's or company's".into(),
        });
    }
    if let Some(ku) = leaf.key_usage()? {
        let signing: FlagSet<KeyUsages> = KeyUsages::DigitalSignature | KeyUsages::NonRepudiation;
        if (ku & signing).is_empty() {
            return Err(Refusal::Malformed { why: "its key usage does not allow signing".into() });
        }
    }
    Ok(())
}

/// An issuer on the path: valid now, a CA, allowed to sign certificates, and `below` CA
/// certificates between it and the leaf within its path length.
fn check_issuer(issuer: &Cert, below: usize, now: OffsetDateTime) -> Result<(), Refusal> {
    let name = issuer.subject();
    if now > issuer.not_after() {
        return Err(Refusal::BadChain {
            why: format!("the issuer certificate {name} expired on {}", issuer.not_after().date()),
        });
    }
    if now < issuer.not_before() {
        return Err(Refusal::BadChain {
            why: format!("the issuer certificate {name} is not valid yet"),
        });
    }
    let (ca, path_len) = issuer.basic_constraints()?;
    if !ca {
        return Err(Refusal::BadChain { why: format!("{name} is not a CA") });
    }
    if let Some(ku) = issuer.key_usage()? {
        if !ku.contains(KeyUsages::KeyCertSign) {
            return Err(Refusal::BadChain { why: format!("{name} may not sign certificates") });
        }
    }
    if let Some(n) = path_len {
        if below > usize::from(n) {
            return Err(Refusal::BadChain {
                why: format!("{name} allows {n} CA certificate(s) below it, the path has {below}"),
            });
        }
    }
    Ok(())
}

/// Whether `candidate` could be `cert`'s issuer by name (and key identifier, when both say).
fn names_fit(cert: &Cert, candidate: &Cert) -> bool {
    if cert.cert.tbs_certificate.issuer != candidate.cert.tbs_certificate.subject {
        return false;
    }
    match (cert.authority_key_id(), candidate.subject_key_id()) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    }
}

/// Builds the path from `leaf` to an anchor. `extra` are certificates the client sent along
/// (untrusted, used only to find the way); `fetch` asks a certificate's AIA for its issuer
/// when nothing else fits. Returns the issuers in order (the leaf's issuer first) and the
/// issuer configuration the path ends in.
pub(crate) fn build(
    leaf: &Cert,
    extra: &[Cert],
    anchors: &[Anchor<'_>],
    fetch: &dyn Fn(&Cert) -> Vec<Cert>,
    now: OffsetDateTime,
) -> Result<(Vec<Cert>, usize), Refusal> {
    check_leaf(leaf)?;
    let mut path: Vec<Cert> = Vec::new();
    let mut current = leaf.clone();
    for depth in 0..MAX_DEPTH {
        let anchored: Vec<(&Cert, Option<usize>)> = anchors
            .iter()
            .map(|a| (a.cert, Some(a.issuer)))
            .chain(extra.iter().map(|c| (c, None)))
            .filter(|(c, _)| names_fit(&current, c) && c.der != current.der)
            .collect();
        let mut candidates: Vec<(Cert, Option<usize>)> =
            anchored.into_iter().map(|(c, i)| (c.clone(), i)).collect();
        if candidates.is_empty() {
            candidates = fetch(&current)
                .into_iter()
                .filter(|c| names_fit(&current, c))
                .map(|c| {
                    // A fetched certificate identical to a configured one is that anchor.
                    let i = anchors.iter().find(|a| a.cert.der == c.der).map(|a| a.issuer);
                    (c, i)
                })
                .collect();
        }
        if candidates.is_empty() {
            return Err(Refusal::UnknownIssuer { issuer: current.issuer() });
        }
        let mut last_error = None;
        let mut chosen = None;
        for (c, i) in candidates {
            match signed_by(&current, &c) {
                Ok(()) => {
                    chosen = Some((c, i));
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let Some((issuer, anchor)) = chosen else {
            return Err(last_error.unwrap_or(Refusal::UnknownIssuer { issuer: current.issuer() }));
        };
        check_issuer(&issuer, depth, now)?;
        path.push(issuer.clone());
        if let Some(i) = anchor {
            return Ok((path, i));
        }
        current = issuer;
    }
    Err(Refusal::BadChain { why: format!("no trusted issuer within {MAX_DEPTH} certificates") })
}

/// The leaf's own validity period, judged after its chain (an untrusted certificate is
/// refused as untrusted, whatever dates it claims).
pub(crate) fn check_validity(leaf: &Cert, now: OffsetDateTime) -> Result<(), Refusal> {
    if now < leaf.not_before() {
        return Err(Refusal::NotYetValid { not_before: leaf.not_before() });
    }
    if now > leaf.not_after() {
        return Err(Refusal::Expired { not_after: leaf.not_after() });
    }
    Ok(())
}
