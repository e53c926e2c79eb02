//! Events: what a change changed, which webhooks it fits, and the payloads. Recording an
//! event is a step of a change (`services::change::record`); the catalogue of object types
//! and actions, the event itself and the template language are domain.

pub mod changes;
pub mod operational;
pub mod payload;
pub mod routes;
