//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, keyed by the base64 secret after `whsec_`; several
//! signatures, space-separated, while a rotated secret still signs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|_| "the signing secret is not valid base64".to_owned())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|_| "the signing secret is unusable".to_owned())?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The header value for all the secrets that sign now.
pub fn signature_header(
    secrets: &[&str],
    message_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, String> {
    let all: Result<Vec<String>, String> = secrets
        .iter()
        .map(|s| sign(s, message_id, timestamp, body))
        .collect();
    Ok(all?.join(" "))
}

/// Whether `header` (a `webhook-signature` value) holds a signature that one of `secrets`
/// makes for this message — as a receiver checks it.
pub fn verifies(
    secrets: &[&str],
    message_id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
) -> bool {
    let given: Vec<&str> = header.split(' ').filter(|s| !s.is_empty()).collect();
    secrets.iter().any(|secret| {
        sign(secret, message_id, timestamp, body).is_ok_and(|expected| {
            given
                .iter()
                .any(|g| bool::from(g.as_bytes().ct_eq(expected.as_bytes())))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification and its reference libraries.
    #[test]
    fn matches_the_specification_example() {
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn rotation_sends_both_signatures() {
        let header = signature_header(
            &[
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ],
            "msg_1",
            1,
            b"{}",
        )
        .unwrap();
        assert_eq!(header.split(' ').count(), 2);
        assert!(sign("whsec_not base64!", "m", 1, b"").is_err());
    }

    #[test]
    fn a_receiver_verifies_what_was_signed_and_nothing_else() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let header = signature_header(&[secret], "msg_1", 1_700_000_000, b"{}").unwrap();
        assert!(verifies(&[secret], "msg_1", 1_700_000_000, b"{}", &header));
        assert!(!verifies(
            &[secret],
            "msg_1",
            1_700_000_000,
            b"{ }",
            &header
        ));
        assert!(!verifies(&[secret], "msg_2", 1_700_000_000, b"{}", &header));
        let other = "whsec_dGhlIG90aGVyIHNlY3JldCBvZiBzb21lb25l";
        assert!(!verifies(&[other], "msg_1", 1_700_000_000, b"{}", &header));
        assert!(verifies(
            &[other, secret],
            "msg_1",
            1_700_000_000,
            b"{}",
            &header
        ));
        assert!(!verifies(
            &[secret],
            "msg_1",
            1_700_000_000,
            b"{}",
            "v1,AAAA"
        ));
    }
}
