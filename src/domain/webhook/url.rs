//! A webhook's URL formula: an absolute http(s) address whose path and query may hold
//! placeholders, never its scheme, host or port.

use url::Url;

use crate::domain::catalogue::ObjectType;
use crate::domain::template::Template;

pub const URL_MAX_CHARS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    formula: String,
    /// Host and port, lower-cased: secrets are bound to them.
    authority: String,
}

fn review(formula: &str, why: &str) -> String {
    format!("Review of the formula for URL: {formula} ({why})")
}

impl WebhookUrl {
    pub fn parse(input: &str, object: ObjectType, https_only: bool) -> Result<Self, String> {
        let formula = input.trim();
        if formula.is_empty() {
            return Err("URL is required.".into());
        }
        if formula.chars().count() > URL_MAX_CHARS {
            return Err(review(
                &formula[..64],
                &format!("at most {URL_MAX_CHARS} characters"),
            ));
        }
        if formula.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(review(
                formula,
                "spaces and control characters are not allowed",
            ));
        }
        // The URL standard repairs `http:///x` and `http:x` into `http://x/`: be stricter.
        let has_authority = formula
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with(['/', '\\', '?', '#']));
        let template = Template::parse(formula, object)
            .map_err(|e| review(formula, e.trim_end_matches('.')))?;
        // Rendering with two different values shows whether a placeholder reaches the host.
        let first = Url::parse(&template.render(|_| "1".into()))
            .map_err(|_| review(formula, "not a valid absolute address"))?;
        let second = Url::parse(&template.render(|_| "2".into()))
            .map_err(|_| review(formula, "not a valid absolute address"))?;
        if !matches!(first.scheme(), "http" | "https") {
            return Err(review(
                formula,
                "only http and https addresses can be called",
            ));
        }
        if !has_authority {
            return Err(review(formula, "the address has no host"));
        }
        if https_only && first.scheme() != "https" {
            return Err(review(
                formula,
                "only https addresses are allowed on this server",
            ));
        }
        let Some(host) = first.host_str().filter(|h| !h.is_empty()) else {
            return Err(review(formula, "the address has no host"));
        };
        if first.scheme() != second.scheme()
            || first.host_str() != second.host_str()
            || first.port() != second.port()
        {
            return Err(review(
                formula,
                "placeholders cannot be used in the scheme, host or port",
            ));
        }
        if !first.username().is_empty() || first.password().is_some() {
            return Err(review(
                formula,
                "put credentials in a header, not in the address",
            ));
        }
        let authority = match first.port_or_known_default() {
            Some(port) => format!("{}:{port}", host.to_lowercase()),
            None => host.to_lowercase(),
        };
        Ok(Self {
            formula: formula.to_owned(),
            authority,
        })
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// A formula as stored: it was checked when it was saved.
    pub fn stored(formula: &str) -> Self {
        Self {
            authority: Self::authority_of(formula).unwrap_or_default(),
            formula: formula.to_owned(),
        }
    }

    /// The authority of a stored formula, for comparing with a new one.
    pub fn authority_of(formula: &str) -> Option<String> {
        let t = Template::parse(formula, ObjectType::Phase).ok()?;
        let url = Url::parse(&t.render(|_| "1".into())).ok()?;
        let host = url.host_str()?.to_lowercase();
        Some(match url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    }
}

impl AsRef<str> for WebhookUrl {
    fn as_ref(&self) -> &str {
        &self.formula
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(u: &str) -> Result<WebhookUrl, String> {
        WebhookUrl::parse(u, ObjectType::Project, false)
    }

    #[test]
    fn accepts_http_and_https_with_placeholders_in_path_and_query() {
        let url = parse("https://hooks.example.com/p/{project.id}?code={project.code}").unwrap();
        assert_eq!(url.authority(), "hooks.example.com:443");
        assert_eq!(
            parse("http://LOCALHOST:9000/x").unwrap().authority(),
            "localhost:9000"
        );
    }

    #[test]
    fn refuses_with_the_review_message() {
        for bad in [
            "ftp://example.com/x",
            "javascript:alert(1)",
            "https://",
            "http:///path",
            "https:example.com",
            "https://\\evil.example",
            "example.com/hook",
            "/relative",
            "https://{project.code}.example.com/",
            "https://example.com:{project.id}/",
            "https://user:pw@example.com/",
            "https://exa mple.com/",
            "https://example.com/\r\nX: y",
            "https://example.com/{projet.id}",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(
                err.starts_with(&format!("Review of the formula for URL: {}", bad.trim())),
                "{bad}: {err}"
            );
        }
        assert_eq!(parse("  ").unwrap_err(), "URL is required.");
        assert!(parse(&format!("https://e.com/{}", "a".repeat(URL_MAX_CHARS))).is_err());
    }

    #[test]
    fn https_only_when_the_operator_says_so() {
        assert!(
            WebhookUrl::parse("http://e.com/", ObjectType::User, true)
                .unwrap_err()
                .contains("only https")
        );
        assert!(WebhookUrl::parse("https://e.com/", ObjectType::User, true).is_ok());
    }
}
