//! Signing in, with throttling of repeated failures per email address.

use std::time::Duration;

use crate::db;
use crate::db::throttle::Reservation;
use crate::domain::Secret;
use crate::state::AppState;

/// Failures allowed before the first block.
const FREE_FAILURES: i64 = 5;
const FIRST_BLOCK: Duration = Duration::from_secs(30);
const LONGEST_BLOCK: Duration = Duration::from_secs(15 * 60);
/// A failure older than this is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub enum SignInOutcome {
    SignedIn {
        token: String,
        must_change_password: bool,
    },
    Throttled {
        retry_after_secs: i64,
    },
    Refused,
}

/// How long to block after `failures` consecutive failures: nothing for the first few, then
/// a block that doubles with each further failure, up to a cap.
pub fn block_for(failures: i64) -> Option<Duration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let doublings = (failures - FREE_FAILURES).min(16) as u32;
    Some(
        FIRST_BLOCK
            .saturating_mul(1 << doublings)
            .min(LONGEST_BLOCK),
    )
}

/// Signs in. The attempt is reserved (counted, its block set) before the password is
/// checked, so that simultaneous attempts cannot check more passwords than the throttle
/// allows; a right password clears the count, unless attempts made at the same moment
/// were counted after it.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &Secret,
) -> anyhow::Result<SignInOutcome> {
    let key = email.trim().to_lowercase();
    let now = db::now_ms();
    let forget_before = now - FORGET_AFTER.as_millis() as i64;
    let block_ms = |n| block_for(n).map_or(0, |b| b.as_millis() as i64);
    let n = match db::throttle::reserve(&state.store, &key, now, forget_before, block_ms).await? {
        Reservation::Blocked { until } => {
            return Ok(SignInOutcome::Throttled {
                retry_after_secs: (until - now + 999) / 1000,
            });
        }
        Reservation::Granted { n } => n,
    };
    let credentials = db::users::credentials_by_email(&state.store, &key).await?;
    let stored = credentials.as_ref().map(|c| c.password_hash.as_str());
    let password_ok = state.passwords.verify(password, stored).await?;
    match credentials {
        Some(c) if password_ok && c.active => {
            let token = crate::random::token();
            let mut tx = state.store.begin_write().await?;
            db::throttle::clear_after_success(&mut tx, &key, n).await?;
            db::sessions::insert(&mut tx, &super::sessions::token_hash(&token), c.id, now).await?;
            tx.commit().await?;
            tracing::info!(user_id = %c.id, "signed in");
            Ok(SignInOutcome::SignedIn {
                token,
                must_change_password: c.must_change_password,
            })
        }
        _ => {
            tracing::warn!(failures = n, "sign-in refused");
            Ok(match block_for(n) {
                Some(block) => SignInOutcome::Throttled {
                    retry_after_secs: block.as_secs() as i64,
                },
                None => SignInOutcome::Refused,
            })
        }
    }
}

pub async fn sign_out(state: &AppState, token: &str) -> anyhow::Result<()> {
    db::sessions::delete(&state.store, &super::sessions::token_hash(token)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_grow_then_cap() {
        assert_eq!(block_for(1), None);
        assert_eq!(block_for(4), None);
        assert_eq!(block_for(5), Some(Duration::from_secs(30)));
        assert_eq!(block_for(6), Some(Duration::from_secs(60)));
        assert_eq!(block_for(7), Some(Duration::from_secs(120)));
        assert_eq!(block_for(10), Some(LONGEST_BLOCK));
        assert_eq!(block_for(1_000), Some(LONGEST_BLOCK));
    }
}
