//! Roles and the rights they bundle.

use crate::db::{execute, on};
use sqlx::FromRow;

use super::{Source, Store, Tx};
use crate::domain::ids::{RoleId, UserId};
use crate::domain::{Right, RightSet, RoleKind};

#[derive(Debug, Clone, FromRow)]
pub struct RoleRow {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub kind: RoleKind,
}

impl RoleRow {
    pub fn is_administrator(&self) -> bool {
        self.kind == RoleKind::Administrator
    }

    pub fn is_editable(&self) -> bool {
        self.kind == RoleKind::Custom
    }
}

pub async fn list(store: &Store) -> sqlx::Result<Vec<RoleRow>> {
    on!(store, ex => sqlx::query_as("SELECT id, name, description, kind FROM roles ORDER BY id")
        .fetch_all(ex)
        .await)
}

pub async fn find(db: impl Into<Source<'_>>, id: RoleId) -> sqlx::Result<Option<RoleRow>> {
    on!(db, ex => sqlx::query_as("SELECT id, name, description, kind FROM roles WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await)
}

pub async fn find_by_name(db: impl Into<Source<'_>>, name: &str) -> sqlx::Result<Option<RoleRow>> {
    on!(db, ex => sqlx::query_as("SELECT id, name, description, kind FROM roles WHERE name = $1")
        .bind(name)
        .fetch_optional(ex)
        .await)
}

/// The rights a role grants; the Administrator role grants every right.
pub async fn rights(db: impl Into<Source<'_>>, role: &RoleRow) -> sqlx::Result<RightSet> {
    if role.is_administrator() {
        return Ok(RightSet::all());
    }
    let codes: Vec<String> = on!(db, ex => sqlx::query_scalar("SELECT right_code FROM role_rights WHERE role_id = $1")
            .bind(role.id)
            .fetch_all(ex)
            .await)?;
    Ok(codes.iter().filter_map(|c| Right::from_code(c)).collect())
}

/// Rights from `kind:right_code` pairs joined by commas, as the session query returns them.
pub fn rights_from_grants(grants: &str) -> RightSet {
    let mut set = RightSet::default();
    for grant in grants.split(',') {
        let (kind, code) = grant.split_once(':').unwrap_or((grant, ""));
        if kind == "administrator" {
            return RightSet::all();
        }
        if let Some(right) = Right::from_code(code) {
            set.insert(right);
        }
    }
    set
}

pub async fn insert(tx: &mut Tx, name: &str, description: &str) -> sqlx::Result<RoleId> {
    on!(&mut *tx, ex => sqlx::query_scalar("INSERT INTO roles (name, description) VALUES ($1, $2) RETURNING id")
        .bind(name)
        .bind(description)
        .fetch_one(ex)
        .await)
}

pub async fn update(tx: &mut Tx, id: RoleId, name: &str, description: &str) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query(
            "UPDATE roles SET name = $2, description = $3 WHERE id = $1 AND kind = 'custom'"
        )
        .bind(id)
        .bind(name)
        .bind(description)
    )?;
    Ok(())
}

pub async fn replace_rights(tx: &mut Tx, role_id: RoleId, rights: RightSet) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query("DELETE FROM role_rights WHERE role_id = $1").bind(role_id)
    )?;
    tx.changes_access();
    for right in rights.iter() {
        execute!(
            &mut *tx,
            sqlx::query("INSERT INTO role_rights (role_id, right_code) VALUES ($1, $2)")
                .bind(role_id)
                .bind(right.code())
        )?;
    }
    Ok(())
}

pub async fn holders(db: impl Into<Source<'_>>, role_id: RoleId) -> sqlx::Result<i64> {
    on!(db, ex => sqlx::query_scalar("SELECT COUNT(*) FROM user_roles WHERE role_id = $1")
        .bind(role_id)
        .fetch_one(ex)
        .await)
}

pub async fn delete(tx: &mut Tx, id: RoleId) -> sqlx::Result<bool> {
    let done = execute!(
        &mut *tx,
        sqlx::query("DELETE FROM roles WHERE id = $1 AND kind = 'custom'").bind(id)
    )?;
    if done == 1 {
        tx.changes_access();
    }
    Ok(done == 1)
}

/// The rights a user holds through all their roles.
pub async fn rights_of(db: impl Into<Source<'_>>, user_id: UserId) -> sqlx::Result<RightSet> {
    let grants: Option<String> = on!(db, ex => sqlx::query_scalar(concat!("SELECT ", grants_of!("$1")))
        .bind(user_id)
        .fetch_one(ex)
        .await)?;
    Ok(rights_from_grants(grants.as_deref().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_parse_into_rights() {
        assert_eq!(rights_from_grants(""), RightSet::default());
        let viewer =
            rights_from_grants("builtin:webhooks.view,builtin:pending_orders.view,custom:");
        assert_eq!(
            viewer.iter().collect::<Vec<_>>(),
            vec![Right::ViewWebhooks, Right::ViewPendingOrders]
        );
        assert_eq!(
            rights_from_grants("custom:,administrator:"),
            RightSet::all()
        );
        assert_eq!(
            rights_from_grants("custom:unknown.right"),
            RightSet::default()
        );
    }
}
