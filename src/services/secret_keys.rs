//! The secret keys: opened (or, on a first start, made) before anything else, checked
//! against the database, and used to seal stored secrets again under a new key.

use anyhow::{Context, anyhow, bail};

use crate::db::{self, Store, settings::KEY_CHECK};
use crate::sealing::{KeySource, Keyring, Purpose, new_key};

/// What the key check seals: any value works, a fixed one reads well in a debugger.
const CHECK: &str = "hookline secret key check";

/// The keyring for the database of `store`. A missing key file is made with a new key —
/// unless the database already holds secrets sealed with another one, which a new key
/// could never open. Secrets stored before sealing existed are sealed on this first start.
pub async fn open(store: &Store, source: &KeySource) -> anyhow::Result<Keyring> {
    crate::sealing::check_source(source)?;
    let check = db::settings::get(store, KEY_CHECK).await?;
    let keys = match (source.load()?, &check, source) {
        (Some(keys), ..) => keys,
        (None, Some(_), KeySource::File(path)) => bail!(
            "this database's secrets are sealed with a key kept in {}, which is missing: put that key file back beside the database, or set HOOKLINE_SECRET_KEY (a new key could not open them)",
            path.display()
        ),
        (None, None, KeySource::File(path)) => {
            let key = new_key();
            KeySource::write_file(path, std::slice::from_ref(&key))?;
            tracing::info!(file = %path.display(), "secret key file created: back it up apart from the database");
            Keyring::parse(&key)?
        }
        (None, _, KeySource::Given(_)) => unreachable!("given keys always load"),
    };
    match check {
        Some(sealed) => {
            let sealed = String::from_utf8_lossy(&sealed);
            keys.open(&sealed, Purpose::KeyCheck).map_err(|e| {
                anyhow!("{e}: the secret key given ({source:?}) does not fit this database")
            })?;
        }
        None => seal_for_the_first_time(store, &keys).await?,
    }
    Ok(keys)
}

/// Seals the secrets of a database from before sealing, and marks it sealed.
async fn seal_for_the_first_time(store: &Store, keys: &Keyring) -> anyhow::Result<()> {
    let mut tx = store.begin_write().await?;
    // Another instance may have done it meanwhile.
    if db::settings::get(&mut tx, KEY_CHECK).await?.is_some() {
        return Ok(tx.rollback().await?);
    }
    let sealed = reseal(&mut tx, keys, |plain, _| Ok(plain.to_owned())).await?;
    db::settings::seal_legacy_session_key(&mut tx, keys).await?;
    db::settings::put(&mut tx, KEY_CHECK, &keys.seal(CHECK, Purpose::KeyCheck)).await?;
    tx.commit().await?;
    if sealed > 0 {
        tracing::info!(
            secrets = sealed,
            "stored secrets sealed under the secret key"
        );
    }
    Ok(())
}

/// Seals every stored secret again under the current key (those under an older one);
/// returns how many.
pub async fn reseal_all(store: &Store, keys: &Keyring) -> anyhow::Result<usize> {
    let mut tx = store.begin_write().await?;
    let open = |stored: &str, purpose| {
        keys.open(stored, purpose)
            .context("a stored secret cannot be opened with the keys given")
    };
    let n = reseal(&mut tx, keys, open).await?;
    db::settings::reseal_session_key(&mut tx, keys).await?;
    db::settings::put(&mut tx, KEY_CHECK, &keys.seal(CHECK, Purpose::KeyCheck)).await?;
    tx.commit().await?;
    Ok(n)
}

/// Seals again each stored secret not sealed under the current key, read through `plain`.
async fn reseal(
    tx: &mut db::Tx,
    keys: &Keyring,
    plain: impl Fn(&str, Purpose) -> anyhow::Result<String>,
) -> anyhow::Result<usize> {
    let mut n = 0;
    let mut again = |stored: &str, purpose| -> anyhow::Result<Option<String>> {
        if keys.is_current(stored) {
            return Ok(None);
        }
        n += 1;
        Ok(Some(keys.seal(&plain(stored, purpose)?, purpose)))
    };
    for (id, current, previous) in db::secrets::signing_secrets(&mut *tx).await? {
        let new_current = again(&current, Purpose::SigningSecret)?;
        let new_previous = match &previous {
            Some(p) => again(p, Purpose::SigningSecret)?,
            None => None,
        };
        if new_current.is_some() || new_previous.is_some() {
            let current = new_current.unwrap_or(current);
            let previous = new_previous.or(previous);
            db::secrets::set_signing_secrets(tx, id, &current, previous.as_deref()).await?;
        }
    }
    for (webhook, position, value) in db::secrets::secret_headers(&mut *tx).await? {
        if let Some(sealed) = again(&value, Purpose::HeaderValue)? {
            db::secrets::set_header_value(tx, webhook, position, &sealed).await?;
        }
    }
    Ok(n)
}
