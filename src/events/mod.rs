//! Events: recording changes with their matching webhooks, and the payloads. The catalogue
//! of object types and actions and the template language are domain (`domain::catalogue`,
//! `domain::template`).

pub mod changes;
pub mod payload;
pub mod record;
pub mod routes;

pub use record::{Change, Initiator, Recorded, Routing, record};
