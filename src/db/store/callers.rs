//! API callers (a token, its user, the user's rights) remembered between requests on
//! PostgreSQL, where reading one is a round trip that every API request would otherwise pay
//! before doing its work.
//!
//! A caller is remembered only while nothing it was read from can have changed unheard. An
//! epoch moves, and everything remembered is forgotten, whenever this instance commits such
//! a change, whenever any writer's triggers announce one (NOTIFY, heard by the listener),
//! and whenever the listener connects or loses its connection. A caller read at an older
//! epoch than the current one is not kept, and while the listener is not connected nothing
//! is remembered: a change made by another instance could go unheard.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::db::api_tokens::TokenCaller;
use crate::domain::ids::TokenId;

/// More tokens in use than this at once is unusual; past it, the oldest readings go and
/// those still in use are read again.
const REMEMBERED_MAX: usize = 1024;

#[derive(Default)]
pub struct Callers {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Odd while the listener is connected.
    epoch: u64,
    /// By the token's hash.
    remembered: HashMap<Vec<u8>, TokenCaller>,
}

impl Inner {
    fn listening(&self) -> bool {
        self.epoch % 2 == 1
    }

    fn moved(&mut self, by: u64) {
        self.epoch += by;
        self.remembered.clear();
    }
}

impl Callers {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("callers lock")
    }

    /// The epoch a caller is about to be read at, if one read now may be remembered.
    pub fn epoch(&self) -> Option<u64> {
        let inner = self.inner();
        inner.listening().then_some(inner.epoch)
    }

    pub fn get(&self, token_hash: &[u8]) -> Option<TokenCaller> {
        self.inner().remembered.get(token_hash).cloned()
    }

    /// Remembers `caller`, read at `epoch`, unless something has changed since.
    pub fn remember(&self, epoch: u64, token_hash: &[u8], caller: TokenCaller) {
        let mut inner = self.inner();
        if inner.epoch != epoch {
            return;
        }
        if inner.remembered.len() >= REMEMBERED_MAX {
            inner.remembered.clear();
        }
        inner.remembered.insert(token_hash.to_vec(), caller);
    }

    /// Token `id` was used at `now`, as now recorded in the database.
    pub fn used(&self, id: TokenId, now: i64) {
        for caller in self.inner().remembered.values_mut() {
            if caller.id == id {
                caller.last_used_at = Some(now);
            }
        }
    }

    /// Something a caller is read from changed.
    pub fn changed(&self) {
        self.inner().moved(2);
    }

    /// The listener is connected: changes are heard from now on.
    pub fn listening(&self) {
        let mut inner = self.inner();
        let by = if inner.listening() { 2 } else { 1 };
        inner.moved(by);
    }

    /// The listener lost its connection: changes may go unheard until it is back.
    pub fn deaf(&self) {
        let mut inner = self.inner();
        let by = if inner.listening() { 1 } else { 2 };
        inner.moved(by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    fn caller(id: i64) -> TokenCaller {
        TokenCaller {
            id: TokenId::new(id),
            name: "Reporting".into(),
            scopes: "webhooks.read".into(),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
            user_id: UserId::new(1),
            email: "a@example.com".into(),
            display_name: "A".into(),
            active: true,
            grants: None,
        }
    }

    #[test]
    fn nothing_is_remembered_until_the_listener_is_connected() {
        let callers = Callers::default();
        assert_eq!(callers.epoch(), None);
        callers.listening();
        let at = callers.epoch().expect("listening");
        callers.remember(at, b"h", caller(1));
        assert!(callers.get(b"h").is_some());
        callers.deaf();
        assert_eq!(callers.epoch(), None);
        assert!(callers.get(b"h").is_none(), "forgotten when deaf");
    }

    #[test]
    fn a_reading_older_than_a_change_is_not_kept() {
        let callers = Callers::default();
        callers.listening();
        let at = callers.epoch().unwrap();
        callers.remember(at, b"h", caller(1));
        let read_before_change = callers.epoch().unwrap();
        callers.changed();
        assert!(callers.get(b"h").is_none(), "a change forgets");
        callers.remember(read_before_change, b"h", caller(1));
        assert!(callers.get(b"h").is_none(), "read before the change");
        let reconnected_from = callers.epoch().unwrap();
        callers.deaf();
        callers.listening();
        callers.remember(reconnected_from, b"h", caller(1));
        assert!(
            callers.get(b"h").is_none(),
            "read before the connection was lost"
        );
    }

    #[test]
    fn use_is_remembered_with_the_caller() {
        let callers = Callers::default();
        callers.listening();
        callers.remember(callers.epoch().unwrap(), b"h", caller(7));
        callers.used(TokenId::new(7), 42);
        assert_eq!(callers.get(b"h").unwrap().last_used_at, Some(42));
    }
}
