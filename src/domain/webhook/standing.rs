//! Whether a webhook fires, as the list shows it.

/// Whether a webhook fires: Expired once its last day has passed, whatever Active says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Active,
    Inactive,
    Expired,
}

impl Standing {
    /// A webhook is valid through its last day.
    pub fn of(
        active: bool,
        valid_until: Option<chrono::NaiveDate>,
        today: chrono::NaiveDate,
    ) -> Standing {
        match (active, valid_until) {
            (_, Some(until)) if until < today => Standing::Expired,
            (true, _) => Standing::Active,
            (false, _) => Standing::Inactive,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Standing::Active => "active",
            Standing::Inactive => "inactive",
            Standing::Expired => "expired",
        }
    }

    /// The list's Active column.
    pub fn label(self) -> &'static str {
        match self {
            Standing::Active => "Yes",
            Standing::Inactive => "No",
            Standing::Expired => "Expired",
        }
    }
}
