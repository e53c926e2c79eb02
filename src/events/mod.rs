//! Events: the catalogue of object types and actions, recording changes with their matching
//! webhooks, the payloads, and the placeholder templates of URLs, bodies and headers.

pub mod catalogue;
pub mod changes;
pub mod payload;
pub mod record;
pub mod routes;
pub mod template;

pub use catalogue::{Action, ActionFilter, ObjectType};
pub use record::{Change, Initiator, Recorded, Routing, record};
