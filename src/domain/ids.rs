//! Typed ids: a webhook's id is not a delivery's, and the compiler says so. Each wraps the
//! row id it is stored as; JSON and paths read and write it as the plain number.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map(Self)
            }
        }
    )*};
}

ids! {
    WebhookId;
    DeliveryId;
    /// An event's row (its public `evt_…` key is a string of its own).
    EventRowId;
    AttemptId;
    ProjectId;
    PhaseId;
    UserId;
    RoleId;
    TokenId;
    ProjectFilterId;
    ListFilterId;
}
