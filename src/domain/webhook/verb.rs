//! The HTTP verb a webhook calls with.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl crate::domain::Coded for Verb {
    const ALL: &'static [Self] = &Verb::ALL;

    fn code(self) -> &'static str {
        self.as_str()
    }
}

impl Verb {
    pub const ALL: [Verb; 5] = [Verb::Get, Verb::Post, Verb::Put, Verb::Patch, Verb::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }

    pub fn parse(input: &str) -> Option<Verb> {
        Self::ALL.into_iter().find(|v| v.as_str() == input.trim())
    }

    pub fn needs_body(self) -> bool {
        matches!(self, Verb::Post | Verb::Put | Verb::Patch)
    }
}
