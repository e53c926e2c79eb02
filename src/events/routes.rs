//! Which webhooks an event goes to. The active webhooks' routes are kept in memory and read
//! again only when the webhooks counter moves (any change to a webhook, by any process), so
//! a change pays no query for them: the counter comes back with its event's insert.

use std::sync::{Arc, Mutex};

use crate::db::Store;

use crate::db::events::Route;
use crate::db::{self, Tx};
use chrono::NaiveDate;

use crate::domain::catalogue::{Action, ObjectType};
use crate::domain::ids::{ProjectId, UserId};

#[derive(Default)]
pub struct Routes {
    /// Routes as committed, with the counter they were read at.
    committed: Mutex<Option<(i64, Arc<Vec<Route>>)>>,
}

impl Routes {
    /// The active webhooks as a transaction that sees counter `version` sees them.
    ///
    /// Only committed routes are cached: a committed counter value names one state of the
    /// webhooks, whereas a transaction's own uncommitted changes may be rolled back and the
    /// same value reached again with other contents. A transaction that sees uncommitted
    /// webhook changes reads its routes itself.
    pub async fn seen_by(
        &self,
        tx: &mut Tx,
        pool: &Store,
        version: i64,
    ) -> sqlx::Result<Arc<Vec<Route>>> {
        if let Some(routes) = self.cached(version) {
            return Ok(routes);
        }
        let (committed, routes) = db::events::committed_routes(pool).await?;
        let routes = Arc::new(routes);
        *self.committed.lock().expect("routes lock") = Some((committed, routes.clone()));
        if committed == version {
            return Ok(routes);
        }
        Ok(Arc::new(db::events::routes(tx).await?))
    }

    /// The routes as last read from committed data, with the counter they were read at.
    pub fn last_committed(&self) -> Option<(i64, Arc<Vec<Route>>)> {
        self.committed.lock().expect("routes lock").clone()
    }

    fn cached(&self, version: i64) -> Option<Arc<Vec<Route>>> {
        match &*self.committed.lock().expect("routes lock") {
            Some((v, routes)) if *v == version => Some(routes.clone()),
            _ => None,
        }
    }
}

/// What an event is, as routes see it.
pub struct Target<'a> {
    pub object: ObjectType,
    pub action: Action,
    pub initiator: Option<UserId>,
    pub project: Option<ProjectId>,
    /// A webhook is valid through its last day.
    pub today: NaiveDate,
    /// The detail fields a modification changed.
    pub changed: &'a [&'a str],
}

/// Whether an active webhook fires for the event, its project filter aside.
pub fn fits(route: &Route, t: &Target<'_>) -> bool {
    route.event_object == t.object
        && route.event_action.matches(t.action)
        && route.valid_until.is_none_or(|last| last >= t.today)
        && route
            .initiator_user_id
            .is_none_or(|u| Some(u) == t.initiator)
        && route.project_id.is_none_or(|p| Some(p) == t.project)
        && (t.action != Action::Modify || sees_a_change(route, t.changed))
}

/// Whether a modification changed a field the webhook sees: one that changes only excluded
/// fields sends it nothing.
fn sees_a_change(route: &Route, changed: &[&str]) -> bool {
    route.excluded_fields.is_empty() || changed.iter().any(|f| !route.excluded_fields.contains(f))
}
