//! Rights are a closed set: every route names the one it needs, and roles bundle them.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Right {
    ViewWebhooks,
    CreateWebhook,
    ModifyWebhook,
    DeleteWebhook,
    ViewPendingOrders,
    ManagePendingOrders,
    ManageProjects,
    ManageUsers,
    ManageApiTokens,
}

impl Right {
    pub const ALL: [Right; 9] = [
        Right::ViewWebhooks,
        Right::CreateWebhook,
        Right::ModifyWebhook,
        Right::DeleteWebhook,
        Right::ViewPendingOrders,
        Right::ManagePendingOrders,
        Right::ManageProjects,
        Right::ManageUsers,
        Right::ManageApiTokens,
    ];

    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Right::ViewWebhooks => "webhooks.view",
            Right::CreateWebhook => "webhooks.create",
            Right::ModifyWebhook => "webhooks.modify",
            Right::DeleteWebhook => "webhooks.delete",
            Right::ViewPendingOrders => "pending_orders.view",
            Right::ManagePendingOrders => "pending_orders.manage",
            Right::ManageProjects => "projects.manage",
            Right::ManageUsers => "users.manage",
            Right::ManageApiTokens => "api_tokens.manage",
        }
    }

    /// The label users see, worded as in Project Monitor where it has one.
    pub fn label(self) -> &'static str {
        match self {
            Right::ViewWebhooks => "View Webhooks",
            Right::CreateWebhook => "Create a Webhook",
            Right::ModifyWebhook => "Modify a Webhook",
            Right::DeleteWebhook => "Delete a Webhook",
            Right::ViewPendingOrders => "View pending orders",
            Right::ManagePendingOrders => "Act on pending orders",
            Right::ManageProjects => "Manage projects",
            Right::ManageUsers => "Manage users and roles",
            Right::ManageApiTokens => "Manage API tokens",
        }
    }

    pub fn from_code(code: &str) -> Option<Right> {
        Right::ALL.into_iter().find(|r| r.code() == code)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The rights a user holds through all their roles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RightSet(u16);

impl RightSet {
    pub fn all() -> Self {
        Right::ALL.into_iter().collect()
    }

    pub fn contains(self, right: Right) -> bool {
        self.0 & right.bit() != 0
    }

    pub fn insert(&mut self, right: Right) {
        self.0 |= right.bit();
    }

    pub fn iter(self) -> impl Iterator<Item = Right> {
        Right::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    pub fn extend(&mut self, other: RightSet) {
        self.0 |= other.0;
    }
}

impl FromIterator<Right> for RightSet {
    fn from_iter<I: IntoIterator<Item = Right>>(iter: I) -> Self {
        let mut set = RightSet::default();
        for right in iter {
            set.insert(right);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for right in Right::ALL {
            assert_eq!(Right::from_code(right.code()), Some(right));
        }
        assert_eq!(Right::from_code("nope"), None);
        assert_eq!(RightSet::all().iter().count(), Right::ALL.len());
    }

    #[test]
    fn set_holds_what_was_inserted() {
        let set: RightSet = [Right::ViewWebhooks, Right::ManageUsers]
            .into_iter()
            .collect();
        assert!(set.contains(Right::ViewWebhooks));
        assert!(!set.contains(Right::CreateWebhook));
    }
}
