//! Projects and phases, and their attributes as events and payloads carry them.

use crate::db::{execute, on};
use serde_json::{Map, Value, json};
use sqlx::FromRow;

use super::{Source, Store, Tx};
use crate::domain::ids::{PhaseId, ProjectId, UserId};
use crate::domain::project::{PhaseDraft, ProjectDraft};

#[derive(Debug, Clone, FromRow)]
pub struct ProjectRow {
    pub id: ProjectId,
    pub code: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub manager_id: Option<UserId>,
    pub manager_email: Option<String>,
    pub manager_name: Option<String>,
    pub start_date: Option<String>,
    pub finish_date: Option<String>,
    pub budget: Option<i64>,
    pub priority: Option<i64>,
    pub change_version: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct PhaseRow {
    pub id: PhaseId,
    pub project_id: ProjectId,
    pub name: String,
    pub start_date: Option<String>,
    pub finish_date: Option<String>,
    pub status: String,
    pub progress: i64,
    pub change_version: i64,
}

/// A written project row as `ProjectRow` reads it, for `RETURNING`: the change and the row
/// it produced in one statement.
const PROJECT_RETURNING: &str = "RETURNING id, code, name, description, status, manager_id,
        (SELECT u.email FROM users u WHERE u.id = manager_id) AS manager_email,
        (SELECT u.display_name FROM users u WHERE u.id = manager_id) AS manager_name,
        start_date, finish_date, budget, priority, change_version";

const PROJECT_SELECT: &str = "SELECT p.id, p.code, p.name, p.description, p.status, p.manager_id,
        u.email AS manager_email, u.display_name AS manager_name, p.start_date, p.finish_date,
        p.budget, p.priority, p.change_version
    FROM projects p LEFT JOIN users u ON u.id = p.manager_id";

fn empty_null(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::String(s.to_owned())
    }
}

impl ProjectRow {
    /// The detail fields, in catalogue order: dates as YYYY-MM-DD, null for empty.
    pub fn attributes(&self) -> Map<String, Value> {
        let v = json!({
            "code": self.code,
            "name": self.name,
            "description": empty_null(&self.description),
            "status": self.status,
            "manager": self.manager_email,
            "start_date": self.start_date,
            "finish_date": self.finish_date,
            "budget": self.budget,
            "priority": self.priority,
        });
        v.as_object().cloned().unwrap_or_default()
    }
}

impl PhaseRow {
    pub fn attributes(&self) -> Map<String, Value> {
        let v = json!({
            "project": self.project_id,
            "name": self.name,
            "start_date": self.start_date,
            "finish_date": self.finish_date,
            "status": self.status,
            "progress": self.progress,
        });
        v.as_object().cloned().unwrap_or_default()
    }
}

pub async fn find(db: impl Into<Source<'_>>, id: ProjectId) -> sqlx::Result<Option<ProjectRow>> {
    on!(db, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PROJECT_SELECT} WHERE p.id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await)
}

/// Projects whose code or name contains `search` (all when empty), by code.
pub async fn list(store: &Store, search: &str) -> sqlx::Result<Vec<ProjectRow>> {
    let pattern = (!search.is_empty()).then(|| {
        format!(
            "%{}%",
            search
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    // SQLite's LIKE ignores case; PostgreSQL's ILIKE does.
    on!(store, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PROJECT_SELECT} WHERE ($1 IS NULL OR p.code {like} $1 ESCAPE '\\' OR p.name {like} $1 ESCAPE '\\')
         ORDER BY p.code COLLATE NOCASE",
        like = ex.pick("LIKE", "ILIKE"),
    )))
    .bind(pattern)
    .fetch_all(ex)
    .await)
}

pub async fn insert(tx: &mut Tx, d: &ProjectDraft, now: i64) -> sqlx::Result<ProjectRow> {
    on!(&mut *tx, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO projects (code, name, description, status, manager_id, start_date, finish_date, budget, priority, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) {PROJECT_RETURNING}"
    )))
    .bind(&d.code)
    .bind(&d.name)
    .bind(&d.description)
    .bind(&d.status)
    .bind(d.manager_id)
    .bind(d.start_date.map(|x| x.to_string()))
    .bind(d.finish_date.map(|x| x.to_string()))
    .bind(d.budget)
    .bind(d.priority)
    .bind(now)
    .fetch_one(ex)
    .await)
}

/// Writes the draft and bumps the change version (the caller rolls back a no-op); gives
/// the project as written, None when there is no such project.
pub async fn update(
    tx: &mut Tx,
    id: ProjectId,
    d: &ProjectDraft,
    now: i64,
) -> sqlx::Result<Option<ProjectRow>> {
    on!(&mut *tx, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE projects SET code = $2, name = $3, description = $4, status = $5, manager_id = $6, start_date = $7,
             finish_date = $8, budget = $9, priority = $10, updated_at = $11, change_version = change_version + 1
         WHERE id = $1 {PROJECT_RETURNING}"
    )))
    .bind(id)
    .bind(&d.code)
    .bind(&d.name)
    .bind(&d.description)
    .bind(&d.status)
    .bind(d.manager_id)
    .bind(d.start_date.map(|x| x.to_string()))
    .bind(d.finish_date.map(|x| x.to_string()))
    .bind(d.budget)
    .bind(d.priority)
    .bind(now)
    .fetch_optional(ex)
    .await)
}

pub async fn delete(tx: &mut Tx, id: ProjectId) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query("DELETE FROM projects WHERE id = $1").bind(id)
    )?;
    Ok(())
}

pub async fn phase_count(db: impl Into<Source<'_>>, project_id: ProjectId) -> sqlx::Result<i64> {
    on!(db, ex => sqlx::query_scalar("SELECT COUNT(*) FROM phases WHERE project_id = $1")
        .bind(project_id)
        .fetch_one(ex)
        .await)
}

const PHASE_SELECT: &str = "SELECT id, project_id, name, start_date, finish_date, status, progress, change_version FROM phases";

pub async fn find_phase(db: impl Into<Source<'_>>, id: PhaseId) -> sqlx::Result<Option<PhaseRow>> {
    on!(db, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!("{PHASE_SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(ex)
        .await)
}

pub async fn phases(
    db: impl Into<Source<'_>>,
    project_id: ProjectId,
) -> sqlx::Result<Vec<PhaseRow>> {
    on!(db, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PHASE_SELECT} WHERE project_id = $1 ORDER BY start_date IS NULL, start_date, id"
    )))
    .bind(project_id)
    .fetch_all(ex)
    .await)
}

pub async fn insert_phase(
    tx: &mut Tx,
    project_id: ProjectId,
    d: &PhaseDraft,
    now: i64,
) -> sqlx::Result<PhaseId> {
    on!(&mut *tx, ex => sqlx::query_scalar(
        "INSERT INTO phases (project_id, name, start_date, finish_date, status, progress, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(project_id)
    .bind(&d.name)
    .bind(d.start_date.map(|x| x.to_string()))
    .bind(d.finish_date.map(|x| x.to_string()))
    .bind(&d.status)
    .bind(d.progress)
    .bind(now)
    .fetch_one(ex)
    .await)
}

pub async fn update_phase(
    tx: &mut Tx,
    id: PhaseId,
    d: &PhaseDraft,
    now: i64,
) -> sqlx::Result<bool> {
    let done = execute!(&mut *tx, sqlx::query(
        "UPDATE phases SET name = $2, start_date = $3, finish_date = $4, status = $5, progress = $6, updated_at = $7,
             change_version = change_version + 1
         WHERE id = $1",
    )
    .bind(id)
    .bind(&d.name)
    .bind(d.start_date.map(|x| x.to_string()))
    .bind(d.finish_date.map(|x| x.to_string()))
    .bind(&d.status)
    .bind(d.progress)
    .bind(now))?;
    Ok(done == 1)
}

pub async fn delete_phase(tx: &mut Tx, id: PhaseId) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query("DELETE FROM phases WHERE id = $1").bind(id)
    )?;
    Ok(())
}

/// How many projects a user manages: such a user cannot be deleted.
pub async fn managed_by(db: impl Into<Source<'_>>, user_id: UserId) -> sqlx::Result<i64> {
    on!(db, ex => sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE manager_id = $1")
        .bind(user_id)
        .fetch_one(ex)
        .await)
}
