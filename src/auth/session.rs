//! The cookie session, typed. It holds only the session token (whose hash identifies the
//! signed-in session in the database), the CSRF token and pending flash messages.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};

const TOKEN: &str = "sid";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
const MAX_FLASHES: usize = 5;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Error,
}

impl FlashKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Error => "error",
        }
    }
}

pub struct TypedSession(Session);

impl TypedSession {
    pub fn token(&self) -> Option<String> {
        self.0.get(TOKEN).ok().flatten()
    }

    /// Starts a signed-in session: a new cookie identity and a new CSRF token.
    pub fn sign_in(&self, token: &str) {
        self.0.renew();
        self.0.remove(CSRF);
        self.insert(TOKEN, token);
    }

    /// Forgets everything and changes the cookie identity; a flash may follow.
    pub fn sign_out(&self) {
        self.0.clear();
        self.0.renew();
    }

    /// The synchronizer token for this session's forms, made on first use.
    pub fn csrf_token(&self) -> String {
        if let Some(token) = self.0.get::<String>(CSRF).ok().flatten() {
            return token;
        }
        let token = crate::random::token();
        self.insert(CSRF, &token);
        token
    }

    pub fn existing_csrf_token(&self) -> Option<String> {
        self.0.get(CSRF).ok().flatten()
    }

    pub fn flash(&self, kind: FlashKind, text: impl Into<String>) {
        let mut all: Vec<Flash> = self.0.get(FLASH).ok().flatten().unwrap_or_default();
        all.push(Flash {
            kind,
            text: text.into(),
        });
        // The cookie carries them until a page shows them: keep only the latest few.
        if all.len() > MAX_FLASHES {
            all.drain(..all.len() - MAX_FLASHES);
        }
        self.insert(FLASH, &all);
    }

    pub fn take_flashes(&self) -> Vec<Flash> {
        // Removing marks the session changed (a new Set-Cookie): only when there is something.
        if !self.0.contains_key(FLASH) {
            return Vec::new();
        }
        self.0
            .remove_as::<Vec<Flash>>(FLASH)
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    fn insert<T: Serialize + ?Sized>(&self, key: &str, value: &T) {
        // Serialising strings and small vectors cannot fail.
        let _ = self.0.insert(key, value);
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(TypedSession(req.get_session())))
    }
}
