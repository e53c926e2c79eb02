//! Closed sets stored and sent by a stable code: each lists its members once, and storage
//! and the API read and write them through these codes only.

/// A closed set whose members have a stable code.
pub trait Coded: Sized + Copy + 'static {
    const ALL: &'static [Self];

    fn code(self) -> &'static str;

    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// A code that names no member: stored by a later version, or typed by someone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {code:?}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub code: String,
}

/// Reads a member by its code.
pub fn parse<T: Coded>(what: &'static str, code: &str) -> Result<T, UnknownCode> {
    T::from_code(code).ok_or_else(|| UnknownCode {
        what,
        code: code.chars().take(40).collect(),
    })
}

/// Serde for an optional member written as its code (`"project"`), in values saved as JSON;
/// an unknown code is an error, never a member.
pub mod optional_code {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Coded;

    pub fn serialize<T: Coded, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(v.code()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Coded, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|code| {
                T::from_code(&code)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown code {code:?}")))
            })
            .transpose()
    }
}
