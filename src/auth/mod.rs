//! Who is asking, and may they: passwords, sessions, CSRF tokens and the signed-in user.

pub mod csrf;
pub mod current_user;
pub mod password;
pub mod session;

pub use csrf::CsrfForm;
pub use current_user::CurrentUser;
pub use password::Passwords;
pub use session::TypedSession;

pub use crate::services::sessions::{SignedIn, token_hash};
