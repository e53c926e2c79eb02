//! Types that validate on construction. Nothing here knows about HTTP or SQL: the web forms,
//! the command line and (later) the API all build these through the same constructors.

pub mod api_token;
pub mod app_log;
pub mod catalogue;
pub mod code;
pub mod delivery;
pub mod delivery_search;
mod display_name;
mod email;
mod entered;
pub mod event;
mod field_errors;
pub mod ids;
mod password;
pub mod project;
pub mod project_filter;
mod right;
mod role_name;
mod scope;
mod secret;
pub mod template;
pub mod webhook;

pub use code::{Coded, UnknownCode};
pub use display_name::DisplayName;
pub use email::Email;
pub use entered::Entered;
pub use field_errors::FieldErrors;
pub use password::{NewPassword, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
pub use right::{Right, RightSet};
pub use role_name::{RoleKind, RoleName};
pub use scope::{Scope, ScopeSet};
pub use secret::Secret;
