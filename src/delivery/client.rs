//! The one shared, pooled HTTP client for every delivery: no redirects followed, bounded
//! connect time, and (unless the operator allows private targets) the guarded resolver.

use std::sync::Arc;
use std::time::Duration;

use super::guard::GuardedResolver;

pub const USER_AGENT: &str = concat!("Hookline/", env!("CARGO_PKG_VERSION"));

pub fn build(allow_private_targets: bool) -> anyhow::Result<reqwest::Client> {
    // rustls needs one process-wide crypto provider; a second install is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64);
    if !allow_private_targets {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    Ok(builder.build()?)
}
