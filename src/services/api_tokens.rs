//! API tokens: made for a user, shown once, stored as a hash, revocable.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::sessions::token_hash;
use super::{Actor, Authority, ServiceError};
use crate::db;
pub use crate::db::api_tokens::TokenRow;
use crate::domain::api_token::TokenDraft;
use crate::domain::ids::{TokenId, UserId};
use crate::domain::{RightSet, ScopeSet};
use crate::state::AppState;

/// Every token starts so, which lets secret scanners recognise a leaked one.
pub const TOKEN_PREFIX: &str = "hkl_";
const SHOWN_PREFIX_CHARS: usize = TOKEN_PREFIX.len() + 6;

/// Recording use at most once a minute per token keeps reads from turning into writes.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Who a valid API token speaks for, and what it carries.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub token_name: String,
    pub user_id: UserId,
    pub user_name: String,
    pub email: String,
    /// The user's rights as they are now (not when the token was made).
    pub rights: RightSet,
    pub scopes: ScopeSet,
}

impl TokenHolder {
    /// The rights the token can exercise: its user's, narrowed to those its scopes reach. A
    /// token for managing objects cannot hand out webhook or token rights, even its user's.
    fn reach(&self) -> RightSet {
        self.rights
            .iter()
            .filter(|r| self.scopes.iter().any(|s| s.rights().contains(r)))
            .collect()
    }

    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.user_id),
            name: self.user_name.clone(),
            email: self.email.clone(),
            via_token: Some(self.token_name.clone()),
            authority: Authority::Rights(self.reach()),
        }
    }
}

/// The holder of `token`, or None if it is unknown, expired or revoked, or its user was
/// deactivated.
pub async fn authenticate(
    state: &AppState,
    token: &str,
) -> Result<Option<TokenHolder>, ServiceError> {
    let Some(row) = db::api_tokens::caller(&state.store, &token_hash(token)).await? else {
        return Ok(None);
    };
    let now = db::now_ms();
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|at| at <= now) || !row.active {
        return Ok(None);
    }
    if row.last_used_at.is_none_or(|at| now - at > TOUCH_EVERY_MS) {
        db::api_tokens::touch(&state.store, row.id, now).await?;
    }
    Ok(Some(TokenHolder {
        token_name: row.name,
        user_id: row.user_id,
        user_name: row.display_name,
        email: row.email,
        rights: db::roles::rights_from_grants(row.grants.as_deref().unwrap_or_default()),
        scopes: ScopeSet::from_stored(&row.scopes),
    }))
}

/// Every token, newest first, with its user.
pub async fn tokens(state: &AppState) -> Result<Vec<TokenRow>, ServiceError> {
    Ok(db::api_tokens::list(&state.store).await?)
}

/// A token just made: the only time its value exists outside the integrator's hands.
#[derive(Debug)]
pub struct Issued {
    pub id: TokenId,
    pub token: String,
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    draft: &TokenDraft,
) -> Result<Issued, ServiceError> {
    let mut tx = state.store.begin_write().await?;
    let user = db::users::find(&mut tx, draft.user_id)
        .await?
        .ok_or_else(|| ServiceError::field("user", "Choose the user the token acts for."))?;
    if !user.active {
        return Err(ServiceError::field(
            "user",
            "This user is deactivated: a token for them would not work.",
        ));
    }
    let rights = db::roles::rights_of(&mut tx, user.id).await?;
    let useless: Vec<&str> = draft
        .scopes
        .iter()
        .filter(|s| !s.usable_with(rights))
        .map(|s| s.code())
        .collect();
    if !useless.is_empty() {
        return Err(ServiceError::field(
            "scopes",
            format!(
                "{} has no right that the scope {} needs; a token never exceeds its user's rights.",
                user.display_name,
                useless.join(", ")
            ),
        ));
    }
    // A token for someone else must not carry a right its maker lacks: that would let
    // anyone who manages tokens act as an administrator.
    if actor.id != Some(user.id) {
        let carried: RightSet = draft
            .scopes
            .iter()
            .flat_map(|s| s.rights().iter().copied())
            .filter(|r| rights.contains(*r))
            .collect();
        let what = format!("A token for {} with these scopes", user.display_name);
        actor
            .authority
            .require(carried, &what)
            .map_err(|m| ServiceError::field("scopes", m))?;
    }
    let token = format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(crate::random::bytes::<32>())
    );
    let hash = token_hash(&token);
    let scopes = draft.scopes.to_stored();
    let id = db::api_tokens::insert(
        &mut tx,
        &db::api_tokens::NewToken {
            name: &draft.name,
            user_id: user.id,
            hash: &hash,
            prefix: &token[..SHOWN_PREFIX_CHARS],
            scopes: &scopes,
            expires_at: draft.expires_at_ms(),
            created_by: actor.id,
        },
        db::now_ms(),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(token_id = %id, user_id = %user.id, scopes = %scopes, "API token created");
    Ok(Issued { id, token })
}

pub async fn revoke(state: &AppState, id: TokenId) -> Result<String, ServiceError> {
    let mut tx = state.store.begin_write().await?;
    let token = db::api_tokens::find(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !db::api_tokens::revoke(&mut tx, id, db::now_ms()).await? {
        return Err(ServiceError::Conflict(format!(
            "The token {} was already revoked.",
            token.name
        )));
    }
    tx.commit().await?;
    tracing::info!(token_id = %id, "API token revoked");
    Ok(token.name)
}
