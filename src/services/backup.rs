//! A consistent copy of the database, taken while Hookline runs.

use std::path::Path;

use super::ServiceError;
use crate::db;
use crate::state::AppState;

/// Writes the copy to `file`, which must not exist. Sealed secrets stay sealed in it.
pub async fn write(state: &AppState, file: &Path) -> Result<(), ServiceError> {
    Ok(db::backup(&state.store, file).await?)
}

/// Copies the whole Hookline at `from` into the empty database at `to` (SQLite to
/// PostgreSQL, or back), ids, sealed secrets and the history's hash chain kept; gives the
/// rows copied per table.
pub async fn copy(from: &str, to: &str) -> Result<db::copy::Copied, ServiceError> {
    if from == to {
        return Err(ServiceError::Internal(anyhow::anyhow!(
            "--from and --to name the same database"
        )));
    }
    let source = db::Store::open(from).await?;
    let target = db::Store::open(to).await?;
    let copied = db::copy::copy(&source, &target).await;
    source.close().await;
    target.close().await;
    Ok(copied?)
}
