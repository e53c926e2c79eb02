//! Events: the catalogue of object types and actions, and the placeholder templates used in
//! webhook URLs, bodies and headers.

pub mod catalogue;
pub mod template;

pub use catalogue::{Action, ActionFilter, ObjectType};
