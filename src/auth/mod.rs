//! Who is asking, and may they: passwords, sessions, CSRF tokens and the signed-in user.

pub mod csrf;
pub mod current_user;
pub mod password;
pub mod session;

pub use csrf::CsrfForm;
pub use current_user::{CurrentUser, SignedIn};
pub use password::Passwords;
pub use session::TypedSession;

use sha2::{Digest, Sha256};

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
