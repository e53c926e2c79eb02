//! The webhook list as a read model: the shared snapshot of the webhooks (`db::snapshot`)
//! in each sort order, with the filtered orders of recent criteria cached. It is never
//! stale, whoever wrote: two trigger-kept counters say when it must catch up. A change to a
//! webhook rebuilds it on the newer snapshot; a delivery outcome (far more frequent) only
//! refreshes the Last execution and Last status of the rows that changed, and the one order
//! that depends on them. Rendering rows is the pages' business, keyed by the view's `Stamp`.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Mutex as AsyncMutex;

use crate::db::Store;
pub use crate::db::snapshot::Generations;
use crate::db::snapshot::{self, Snapshot, Webhook, Webhooks};
use crate::domain::ids::WebhookId;
use crate::domain::webhook::ListCriteria;

/// Filtered orders kept per snapshot; a new snapshot starts from those still valid.
const CACHED_RESULTS: usize = 256;

struct Entry {
    webhook: Arc<Webhook>,
    /// Lower-cased wording, description and URL, searched by Contains.
    haystack: String,
    /// Lower-cased wording, the key of the Wording sort.
    wording_key: String,
}

/// What changes only with the webhooks themselves.
struct Base {
    webhooks: Arc<Webhooks>,
    entries: Vec<Entry>,
    index: HashMap<WebhookId, u32>,
    /// Indexes into `entries`, ascending, for the sorts that do not depend on outcomes.
    orders: HashMap<Sort, Arc<Vec<u32>>>,
}

type ResultKey = (ListCriteria, Sort, bool);

/// (Last execution, Last status) of a row.
type Outcome = (Option<i64>, Option<i64>);

struct View {
    base: Arc<Base>,
    status_generation: i64,
    /// The day it was made: rows show Expired by the date, so a new day makes a new one.
    day: chrono::NaiveDate,
    outcomes: Vec<Outcome>,
    by_last_execution: Arc<Vec<u32>>,
    results: Mutex<HashMap<ResultKey, Arc<Vec<u32>>>>,
}

/// One row of a page: the webhook and its outcome.
pub struct PageRow<'a> {
    pub webhook: &'a Webhook,
    pub last_execution_at: Option<i64>,
    pub last_status: Option<i64>,
}

/// One page of the list.
pub struct Page<'a> {
    pub total: usize,
    pub rows: Vec<PageRow<'a>>,
    /// What the rows were read at: a row shows the same while this stays the same.
    pub stamp: Stamp,
}

/// The state of the webhooks, their outcomes and the day a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub generation: i64,
    pub status_generation: i64,
    pub day: chrono::NaiveDate,
}

#[derive(Default)]
pub struct WebhookList {
    current: Mutex<Option<Arc<View>>>,
    updating: AsyncMutex<()>,
}

fn compare(sort: Sort, a: &Entry, b: &Entry) -> Ordering {
    let (ra, rb) = (&a.webhook.row, &b.webhook.row);
    match sort {
        Sort::Wording => a.wording_key.cmp(&b.wording_key).then(ra.id.cmp(&rb.id)),
        Sort::Url => ra.url.cmp(&rb.url).then(ra.id.cmp(&rb.id)),
        Sort::Verb => ra
            .verb
            .as_str()
            .cmp(rb.verb.as_str())
            .then_with(|| a.wording_key.cmp(&b.wording_key))
            .then(ra.id.cmp(&rb.id)),
        Sort::LastExecution => unreachable!("sorted by outcome, see by_last_execution"),
    }
}

fn matches(entry: &Entry, c: &ListCriteria, needle: &str) -> bool {
    let r = &entry.webhook.row;
    (needle.is_empty() || entry.haystack.contains(needle))
        && c.active.is_none_or(|a| r.active == a)
        && c.object.is_none_or(|o| r.event_object == o)
        && c.action.is_none_or(|a| r.event_action == a)
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Never executed last; otherwise by time, then id.
fn last_execution_order(base: &Base, outcomes: &[Outcome]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..base.entries.len() as u32).collect();
    order.sort_by_key(|&i| {
        let at = outcomes[i as usize].0;
        (at.is_none(), at, base.entries[i as usize].webhook.row.id)
    });
    order
}

impl Base {
    fn build(webhooks: Arc<Webhooks>) -> Self {
        let entries: Vec<Entry> = webhooks
            .all()
            .iter()
            .map(|webhook| {
                let row = &webhook.row;
                Entry {
                    haystack: format!("{}\n{}\n{}", row.wording, row.description, row.url)
                        .to_lowercase(),
                    wording_key: row.wording.to_lowercase(),
                    webhook: webhook.clone(),
                }
            })
            .collect();
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.webhook.row.id, i as u32))
            .collect();
        let orders = [Sort::Wording, Sort::Url, Sort::Verb]
            .into_iter()
            .map(|sort| {
                let mut order: Vec<u32> = (0..entries.len() as u32).collect();
                order.sort_by(|&a, &b| compare(sort, &entries[a as usize], &entries[b as usize]));
                (sort, Arc::new(order))
            })
            .collect();
        Base {
            webhooks,
            entries,
            index,
            orders,
        }
    }
}

impl View {
    fn new(base: Arc<Base>, status_generation: i64, outcomes: Vec<Outcome>) -> Self {
        View {
            by_last_execution: Arc::new(last_execution_order(&base, &outcomes)),
            base,
            status_generation,
            day: today(),
            outcomes,
            results: Mutex::new(HashMap::new()),
        }
    }

    fn build(webhooks: Arc<Webhooks>) -> Self {
        let outcomes = webhooks
            .all()
            .iter()
            .map(|w| (w.row.last_execution_at, w.row.last_status))
            .collect();
        let status_generation = webhooks.status_version;
        View::new(Arc::new(Base::build(webhooks)), status_generation, outcomes)
    }

    /// The same webhooks with newer outcomes; filtered orders that do not depend on them
    /// are kept.
    fn with_outcomes(
        &self,
        status_generation: i64,
        changed: &[(WebhookId, Option<i64>, Option<i64>)],
    ) -> Self {
        let mut outcomes = self.outcomes.clone();
        for (id, at, status) in changed {
            if let Some(&i) = self.base.index.get(id) {
                outcomes[i as usize] = (*at, *status);
            }
        }
        let next = View::new(self.base.clone(), status_generation, outcomes);
        let kept: HashMap<ResultKey, Arc<Vec<u32>>> = self
            .results
            .lock()
            .expect("cache lock")
            .iter()
            .filter(|((_, sort, _), _)| *sort != Sort::LastExecution)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        *next.results.lock().expect("cache lock") = kept;
        next
    }

    fn covers(&self, g: Generations) -> bool {
        self.base.webhooks.version >= g.generation
            && self.status_generation >= g.status_generation
            && self.day == today()
    }

    fn order(&self, sort: Sort) -> &[u32] {
        match sort {
            Sort::LastExecution => &self.by_last_execution,
            other => &self.base.orders[&other],
        }
    }

    fn filtered(&self, criteria: &ListCriteria, sort: Sort, descending: bool) -> Arc<Vec<u32>> {
        let key = (criteria.clone(), sort, descending);
        if let Some(hit) = self.results.lock().expect("cache lock").get(&key) {
            return hit.clone();
        }
        let needle = criteria.contains.to_lowercase();
        let order = self.order(sort);
        let keep = |i: &&u32| matches(&self.base.entries[**i as usize], criteria, &needle);
        let mut ids: Vec<u32> = if descending {
            order.iter().rev().filter(keep).copied().collect()
        } else {
            order.iter().filter(keep).copied().collect()
        };
        if sort == Sort::LastExecution && descending {
            // Keep never-executed webhooks at the end in both directions.
            ids.sort_by_key(|i| self.outcomes[*i as usize].0.is_none());
        }
        let ids = Arc::new(ids);
        let mut results = self.results.lock().expect("cache lock");
        if results.len() >= CACHED_RESULTS {
            results.clear();
        }
        results.insert(key, ids.clone());
        ids
    }
}

impl WebhookList {
    /// A view at least as new as `generations`: the current one, one with refreshed
    /// outcomes, or one built on a newer snapshot of the webhooks.
    async fn view(
        &self,
        store: &Store,
        webhooks: &Snapshot,
        generations: Generations,
    ) -> sqlx::Result<Arc<View>> {
        if let Some(s) = self.covering(generations) {
            return Ok(s);
        }
        // One update at a time; those who waited find it done.
        let _guard = self.updating.lock().await;
        if let Some(s) = self.covering(generations) {
            return Ok(s);
        }
        let latest = webhooks.at_least(generations.generation).await?;
        let current = self.current.lock().expect("list lock").clone();
        let built = match current {
            Some(v) if Arc::ptr_eq(&v.base.webhooks, &latest) && v.day == today() => v,
            _ => Arc::new(View::build(latest)),
        };
        let next = if built.status_generation >= generations.status_generation {
            built
        } else {
            let (read, changed) = snapshot::statuses_since(store, built.status_generation).await?;
            Arc::new(built.with_outcomes(read.status_generation, &changed))
        };
        *self.current.lock().expect("list lock") = Some(next.clone());
        Ok(next)
    }

    fn covering(&self, generations: Generations) -> Option<Arc<View>> {
        self.current
            .lock()
            .expect("list lock")
            .as_ref()
            .filter(|s| s.covers(generations))
            .cloned()
    }

    /// Calls `f` with the page of webhooks matching `criteria`, in the given order.
    pub async fn page<T>(
        &self,
        (store, webhooks): (&Store, &Snapshot),
        generations: Generations,
        criteria: &ListCriteria,
        (sort, descending): (Sort, bool),
        (offset, limit): (usize, usize),
        f: impl FnOnce(Page<'_>) -> T,
    ) -> Result<T, super::ServiceError> {
        let snapshot = self.view(store, webhooks, generations).await?;
        let ids = snapshot.filtered(criteria, sort, descending);
        let rows = ids
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&i| {
                let i = i as usize;
                let (last_execution_at, last_status) = snapshot.outcomes[i];
                PageRow {
                    webhook: &snapshot.base.entries[i].webhook,
                    last_execution_at,
                    last_status,
                }
            })
            .collect();
        let stamp = Stamp {
            generation: snapshot.base.webhooks.version,
            status_generation: snapshot.status_generation,
            day: snapshot.day,
        };
        Ok(f(Page {
            total: ids.len(),
            rows,
            stamp,
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    Wording,
    Url,
    Verb,
    LastExecution,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Wording, Sort::Url, Sort::Verb, Sort::LastExecution];

    pub fn code(self) -> &'static str {
        match self {
            Sort::Wording => "wording",
            Sort::Url => "url",
            Sort::Verb => "verb",
            Sort::LastExecution => "last_execution",
        }
    }

    pub fn parse(code: &str) -> Sort {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(Sort::Wording)
    }
}
