//! The application log's closed sets: how serious an entry is, and what it is about.

use super::code::Coded;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogLevel {
    Info,
    Warning,
    Error,
}

impl Coded for LogLevel {
    const ALL: &'static [Self] = &[Self::Info, Self::Warning, Self::Error];

    fn code(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl LogLevel {
    pub fn label(self) -> &'static str {
        match self {
            Self::Info => "Info",
            Self::Warning => "Warning",
            Self::Error => "Error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// A webhook over the per-action limit was not fired.
    OverCap,
    /// A delivery failed for good.
    DeliveryDead,
    /// Hookline turned a webhook off.
    WebhookDisabled,
    /// An in-transaction webhook refused a change.
    Vetoed,
    /// Someone sent a webhook's failed deliveries again (Recover).
    Recovered,
    /// Anything else (written by hand, or by a later version).
    Other,
}

impl Coded for LogKind {
    const ALL: &'static [Self] = &[
        Self::OverCap,
        Self::DeliveryDead,
        Self::WebhookDisabled,
        Self::Vetoed,
        Self::Recovered,
        Self::Other,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::OverCap => "over_cap",
            Self::DeliveryDead => "delivery_dead",
            Self::WebhookDisabled => "webhook_disabled",
            Self::Vetoed => "vetoed",
            Self::Recovered => "recovered",
            Self::Other => "other",
        }
    }
}

impl LogKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::OverCap => "Over the per-action limit",
            Self::DeliveryDead => "Delivery failed for good",
            Self::WebhookDisabled => "Webhook turned off",
            Self::Vetoed => "Change refused",
            Self::Recovered => "Deliveries sent again",
            Self::Other => "Other",
        }
    }
}
