//! API token scopes: what a token may be used for. A scope never adds a right: a request
//! needs both the scope and, through the token's user, the right behind it.

use std::fmt;

use super::{Right, RightSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    WebhooksRead,
    WebhooksWrite,
    DeliveriesRead,
    DeliveriesWrite,
    ObjectsRead,
    ObjectsWrite,
    MetricsRead,
}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Scope::WebhooksRead,
        Scope::WebhooksWrite,
        Scope::DeliveriesRead,
        Scope::DeliveriesWrite,
        Scope::ObjectsRead,
        Scope::ObjectsWrite,
        Scope::MetricsRead,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Scope::WebhooksRead => "webhooks.read",
            Scope::WebhooksWrite => "webhooks.write",
            Scope::DeliveriesRead => "deliveries.read",
            Scope::DeliveriesWrite => "deliveries.write",
            Scope::ObjectsRead => "objects.read",
            Scope::ObjectsWrite => "objects.write",
            Scope::MetricsRead => "metrics.read",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Scope::WebhooksRead => "List and read webhooks, the event catalogue",
            Scope::WebhooksWrite => "Create, modify, test, renew and delete webhooks",
            Scope::DeliveriesRead => "Read deliveries and their attempts",
            Scope::DeliveriesWrite => "Retry deliveries",
            Scope::ObjectsRead => "Read projects, phases and users",
            Scope::ObjectsWrite => "Create, modify and delete projects, phases and users",
            Scope::MetricsRead => "Scrape Hookline's metrics at /metrics",
        }
    }

    pub fn parse(code: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.code() == code.trim())
    }

    /// The rights of which the token's user needs at least one for the scope to be of use.
    pub fn rights(self) -> &'static [Right] {
        match self {
            Scope::WebhooksRead => &[Right::ViewWebhooks],
            Scope::WebhooksWrite => &[
                Right::CreateWebhook,
                Right::ModifyWebhook,
                Right::DeleteWebhook,
            ],
            Scope::DeliveriesRead | Scope::MetricsRead => &[Right::ViewPendingOrders],
            Scope::DeliveriesWrite => &[Right::ManagePendingOrders],
            Scope::ObjectsRead | Scope::ObjectsWrite => {
                &[Right::ManageProjects, Right::ManageUsers]
            }
        }
    }

    pub fn usable_with(self, rights: RightSet) -> bool {
        self.rights().iter().any(|r| rights.contains(*r))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A token's scopes, stored as space-separated codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScopeSet(u8);

impl ScopeSet {
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & (1 << scope as u8) != 0
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= 1 << scope as u8;
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Reads stored codes; unknown ones (from a later version) are ignored, never granted.
    pub fn from_stored(codes: &str) -> ScopeSet {
        codes.split_whitespace().filter_map(Scope::parse).collect()
    }

    pub fn to_stored(self) -> String {
        self.iter().map(Scope::code).collect::<Vec<_>>().join(" ")
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = ScopeSet::default();
        for s in iter {
            set.insert(s);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_grant_nothing() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.code()), Some(s));
        }
        let set = ScopeSet::from_stored("webhooks.read admin.everything deliveries.write");
        assert_eq!(set.to_stored(), "webhooks.read deliveries.write");
        assert!(!set.contains(Scope::WebhooksWrite));
    }

    #[test]
    fn a_scope_is_usable_only_with_a_right_behind_it() {
        let viewer: RightSet = [Right::ViewWebhooks, Right::ViewPendingOrders]
            .into_iter()
            .collect();
        assert!(Scope::WebhooksRead.usable_with(viewer));
        assert!(!Scope::WebhooksWrite.usable_with(viewer));
        assert!(!Scope::ObjectsWrite.usable_with(viewer));
    }
}
