//! The webhook list as a read model: every webhook's list columns in memory, in each sort
//! order, with the filtered orders of recent criteria cached. It is rebuilt whenever the
//! database's webhooks change counter moves, so it is never stale, whoever wrote.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::SqlitePool;
use tokio::sync::Mutex as AsyncMutex;

use crate::db::{self, webhooks::ListRow, webhooks::Sort};
use crate::domain::webhook::ListCriteria;

/// Filtered orders kept per generation; a new generation starts empty.
const CACHED_RESULTS: usize = 256;

struct Entry {
    row: ListRow,
    /// Lower-cased wording, description and URL, searched by Contains.
    haystack: String,
}

type ResultKey = (ListCriteria, Sort, bool);

struct Snapshot {
    generation: i64,
    entries: Vec<Entry>,
    /// Indexes into `entries`, ascending, per sort.
    orders: HashMap<Sort, Vec<u32>>,
    results: Mutex<HashMap<ResultKey, Arc<Vec<u32>>>>,
}

/// One page of the list.
pub struct Page<'a> {
    pub total: usize,
    pub rows: Vec<&'a ListRow>,
}

#[derive(Default)]
pub struct WebhookList {
    current: Mutex<Option<Arc<Snapshot>>>,
    rebuilding: AsyncMutex<()>,
}

fn compare(sort: Sort, a: &ListRow, b: &ListRow) -> Ordering {
    let nocase = |x: &str, y: &str| x.to_lowercase().cmp(&y.to_lowercase());
    match sort {
        Sort::Wording => nocase(&a.wording, &b.wording).then(a.id.cmp(&b.id)),
        Sort::Url => a.url.cmp(&b.url).then(a.id.cmp(&b.id)),
        Sort::Verb => a
            .verb
            .cmp(&b.verb)
            .then_with(|| nocase(&a.wording, &b.wording))
            .then(a.id.cmp(&b.id)),
        // Never executed last, whichever the direction: handled when reversing.
        Sort::LastExecution => a
            .last_execution_at
            .cmp(&b.last_execution_at)
            .then(a.id.cmp(&b.id)),
    }
}

fn matches(entry: &Entry, c: &ListCriteria, needle: &str) -> bool {
    let r = &entry.row;
    (needle.is_empty() || entry.haystack.contains(needle))
        && c.active.is_none_or(|a| r.active == a)
        && c.object.as_deref().is_none_or(|o| r.event_object == o)
        && c.action.as_deref().is_none_or(|a| r.event_action == a)
}

impl Snapshot {
    fn build(generation: i64, rows: Vec<ListRow>) -> Self {
        let entries: Vec<Entry> = rows
            .into_iter()
            .map(|row| Entry {
                haystack: format!("{}\n{}\n{}", row.wording, row.description, row.url)
                    .to_lowercase(),
                row,
            })
            .collect();
        let orders = Sort::ALL
            .into_iter()
            .map(|sort| {
                let mut order: Vec<u32> = (0..entries.len() as u32).collect();
                order.sort_by(|&a, &b| {
                    compare(sort, &entries[a as usize].row, &entries[b as usize].row)
                });
                (sort, order)
            })
            .collect();
        Self {
            generation,
            entries,
            orders,
            results: Mutex::new(HashMap::new()),
        }
    }

    fn filtered(&self, criteria: &ListCriteria, sort: Sort, descending: bool) -> Arc<Vec<u32>> {
        let key = (criteria.clone(), sort, descending);
        if let Some(hit) = self.results.lock().expect("cache lock").get(&key) {
            return hit.clone();
        }
        let needle = criteria.contains.to_lowercase();
        let order = &self.orders[&sort];
        let keep = |i: &&u32| matches(&self.entries[**i as usize], criteria, &needle);
        let mut ids: Vec<u32> = if descending {
            order.iter().rev().filter(keep).copied().collect()
        } else {
            order.iter().filter(keep).copied().collect()
        };
        if sort == Sort::LastExecution && descending {
            // Keep never-executed webhooks at the end in both directions.
            ids.sort_by_key(|i| self.entries[*i as usize].row.last_execution_at.is_none());
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
    /// The snapshot for `generation`, rebuilding it from the database when it moved on.
    async fn snapshot(&self, pool: &SqlitePool, generation: i64) -> sqlx::Result<Arc<Snapshot>> {
        if let Some(s) = self.fresh(generation) {
            return Ok(s);
        }
        // One rebuild at a time; those who waited find it done.
        let _guard = self.rebuilding.lock().await;
        if let Some(s) = self.fresh(generation) {
            return Ok(s);
        }
        let (read_generation, rows) = db::webhooks::list_all(pool).await?;
        let snapshot = Arc::new(Snapshot::build(read_generation, rows));
        *self.current.lock().expect("list lock") = Some(snapshot.clone());
        Ok(snapshot)
    }

    fn fresh(&self, generation: i64) -> Option<Arc<Snapshot>> {
        self.current
            .lock()
            .expect("list lock")
            .as_ref()
            .filter(|s| s.generation >= generation)
            .cloned()
    }

    /// Calls `f` with the page of webhooks matching `criteria`, in the given order.
    pub async fn page<T>(
        &self,
        pool: &SqlitePool,
        generation: i64,
        criteria: &ListCriteria,
        (sort, descending): (Sort, bool),
        (offset, limit): (usize, usize),
        f: impl FnOnce(Page<'_>) -> T,
    ) -> sqlx::Result<T> {
        let snapshot = self.snapshot(pool, generation).await?;
        let ids = snapshot.filtered(criteria, sort, descending);
        let rows = ids
            .iter()
            .skip(offset)
            .take(limit)
            .map(|i| &snapshot.entries[*i as usize].row)
            .collect();
        Ok(f(Page {
            total: ids.len(),
            rows,
        }))
    }
}
