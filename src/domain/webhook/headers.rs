//! The headers a webhook sends: valid names, no duplicates, none that Hookline sets itself,
//! values without line breaks. A secret value may be left empty on modification to keep the
//! stored one.

use crate::domain::catalogue::ObjectType;
use crate::domain::template::Template;

pub const MAX_HEADERS: usize = 20;
pub const HEADER_NAME_MAX: usize = 100;
pub const HEADER_VALUE_MAX: usize = 4096;

/// Headers that Hookline sets, or that HTTP reserves for the connection.
const RESERVED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-connection",
    "user-agent",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

#[derive(Debug, Clone, Default)]
pub struct HeaderInput {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderDraft {
    pub name: String,
    /// None: a secret left empty, to keep the stored value.
    pub value: Option<String>,
    pub secret: bool,
}

/// RFC 9110 token characters.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn check_row(n: usize, row: &HeaderInput, object: ObjectType) -> Result<HeaderDraft, String> {
    let name = row.name.trim();
    if name.is_empty() {
        return Err(format!("Header {n}: the name is missing."));
    }
    if name.len() > HEADER_NAME_MAX || !name.chars().all(is_token_char) {
        return Err(format!(
            "Header {n}: “{}” is not a valid header name (letters, digits and - _ . only, no spaces).",
            name.chars().take(HEADER_NAME_MAX).collect::<String>()
        ));
    }
    if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!("Header {n}: Hookline sets {name} itself."));
    }
    let value = row.value.trim();
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "Header {n} ({name}): line breaks and control characters are not allowed in the value."
        ));
    }
    if value.len() > HEADER_VALUE_MAX {
        return Err(format!(
            "Header {n} ({name}): the value must be at most {HEADER_VALUE_MAX} characters."
        ));
    }
    if value.is_empty() && !row.secret {
        return Err(format!("Header {n} ({name}): the value is missing."));
    }
    Template::parse(value, object).map_err(|e| format!("Header {n} ({name}): {e}"))?;
    Ok(HeaderDraft {
        name: name.to_owned(),
        value: (!value.is_empty()).then(|| value.to_owned()),
        secret: row.secret,
    })
}

/// Validates the rows, skipping entirely empty ones.
pub fn parse(rows: &[HeaderInput], object: ObjectType) -> Result<Vec<HeaderDraft>, String> {
    let rows: Vec<&HeaderInput> = rows
        .iter()
        .filter(|r| !(r.name.trim().is_empty() && r.value.trim().is_empty()))
        .collect();
    if rows.len() > MAX_HEADERS {
        return Err(format!("At most {MAX_HEADERS} headers."));
    }
    let mut out: Vec<HeaderDraft> = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let header = check_row(i + 1, row, object)?;
        if out
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(&header.name))
        {
            return Err(format!("Header {}: {} appears twice.", i + 1, header.name));
        }
        out.push(header);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, value: &str) -> HeaderInput {
        HeaderInput {
            name: name.into(),
            value: value.into(),
            secret: false,
        }
    }

    #[test]
    fn accepts_valid_rows_and_skips_empty_ones() {
        let h = parse(
            &[
                row("Authorization", "Bearer x"),
                row("", ""),
                row("X-Project", "{project.code}"),
            ],
            ObjectType::Project,
        )
        .unwrap();
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn refuses_bad_rows() {
        for (rows, needle) in [
            (vec![row("X Y", "1")], "not a valid header name"),
            (vec![row("X-A\r\nEvil", "1")], "not a valid header name"),
            (vec![row("X-A", "1\r\nEvil: 2")], "line breaks"),
            (
                vec![row("Webhook-Signature", "v1,x")],
                "Hookline sets Webhook-Signature itself",
            ),
            (vec![row("Content-Length", "3")], "itself"),
            (vec![row("X-A", "1"), row("x-a", "2")], "appears twice"),
            (vec![row("X-A", "")], "the value is missing"),
            (vec![row("", "orphan")], "the name is missing"),
            (vec![row("X-A", "{nope}")], "Unknown placeholder"),
        ] {
            let err = parse(&rows, ObjectType::Project).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
        let many: Vec<_> = (0..=MAX_HEADERS)
            .map(|i| row(&format!("X-{i}"), "v"))
            .collect();
        assert!(parse(&many, ObjectType::Project).is_err());
    }

    #[test]
    fn an_empty_secret_keeps_the_stored_value() {
        let h = parse(
            &[HeaderInput {
                name: "Authorization".into(),
                value: "".into(),
                secret: true,
            }],
            ObjectType::User,
        )
        .unwrap();
        assert_eq!(h[0].value, None);
    }
}
