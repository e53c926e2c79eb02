//! A value as an edge read it — blank, given, or unreadable: the form reads text, the API
//! typed JSON, and both hand the same value to the domain's validation, which alone decides
//! what is acceptable and says so in the same words for both.

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Entered<T> {
    /// Nothing given.
    #[default]
    Blank,
    Given(T),
    /// Something that is no such value (a form field holding text that is no number).
    Unreadable,
}

impl<T> Entered<T> {
    /// The text of a form field, read by `parse`.
    pub fn read_with(text: &str, parse: impl FnOnce(&str) -> Option<T>) -> Self {
        match text.trim() {
            "" => Entered::Blank,
            v => parse(v).map_or(Entered::Unreadable, Entered::Given),
        }
    }

    /// The value, or `message` when what was given cannot be read.
    pub fn given_or(self, message: &str) -> Result<Option<T>, String> {
        match self {
            Entered::Blank => Ok(None),
            Entered::Given(v) => Ok(Some(v)),
            Entered::Unreadable => Err(message.to_owned()),
        }
    }

    pub fn is_blank(&self) -> bool {
        matches!(self, Entered::Blank)
    }
}

impl<T: FromStr> Entered<T> {
    /// The text of a form field holding a number or an id.
    pub fn read(text: &str) -> Self {
        Entered::read_with(text, |v| v.parse().ok())
    }
}

impl<T> From<Option<T>> for Entered<T> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Entered::Blank, Entered::Given)
    }
}

#[cfg(test)]
mod tests {
    use super::Entered;
    use crate::domain::ids::UserId;

    #[test]
    fn a_form_field_reads_as_blank_given_or_unreadable() {
        assert_eq!(Entered::<UserId>::read("  "), Entered::Blank);
        assert_eq!(Entered::read(" 7 "), Entered::Given(UserId::new(7)));
        assert_eq!(Entered::<UserId>::read("seven"), Entered::Unreadable);
        assert_eq!(
            Entered::<UserId>::Unreadable.given_or("Choose one."),
            Err("Choose one.".into())
        );
        assert_eq!(
            Entered::from(Some(UserId::new(2))).given_or("x"),
            Ok(Some(UserId::new(2)))
        );
    }
}
