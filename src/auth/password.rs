//! Argon2id password hashing with OWASP's parameters. Hashing is CPU-heavy: it runs on the
//! blocking pool, at most two at a time, so sign-ins cannot starve the async workers.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::Secret;

const MAX_CONCURRENT_HASHES: usize = 2;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Checked against when the email is unknown, so the response takes as long as for a
    /// known one.
    dummy_hash: Arc<str>,
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    Ok(hash.to_string())
}

fn verify_now(password: &str, stored: &str) -> anyhow::Result<bool> {
    let parsed =
        PasswordHash::new(stored).map_err(|e| anyhow::anyhow!("stored hash is unreadable: {e}"))?;
    Ok(hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

impl Passwords {
    pub fn new() -> anyhow::Result<Self> {
        let dummy = hash_now(&crate::random::token())?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT_HASHES)),
            dummy_hash: dummy.into(),
        })
    }

    pub async fn hash(&self, password: &Secret) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await.context("hash pool closed")?;
        let password = password.clone();
        tokio::task::spawn_blocking(move || hash_now(password.expose())).await?
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is none, so
    /// both take the same time.
    pub async fn verify(&self, password: &Secret, stored: Option<&str>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await.context("hash pool closed")?;
        let password = password.clone();
        let known = stored.is_some();
        let stored = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let ok =
            tokio::task::spawn_blocking(move || verify_now(password.expose(), &stored)).await??;
        Ok(known && ok)
    }
}
