//! A consistent copy of the database, taken while Hookline runs.

use std::path::Path;

use super::ServiceError;
use crate::db;
use crate::state::AppState;

/// Writes the copy to `file`, which must not exist. Sealed secrets stay sealed in it.
pub async fn write(state: &AppState, file: &Path) -> Result<(), ServiceError> {
    Ok(db::backup(&state.store, file).await?)
}
