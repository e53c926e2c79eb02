//! The one shared, pooled HTTP client for every outgoing request: no redirects followed,
//! bounded connect time, no proxy but the one the operator names, and (unless private
//! targets are allowed) the outgoing-address guard on every destination.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::guard::{self, GuardedResolver};

pub const USER_AGENT: &str = concat!("Hookline/", env!("CARGO_PKG_VERSION"));

#[derive(Clone)]
pub struct Client {
    pub(super) http: reqwest::Client,
    /// Private, loopback and link-local destinations are allowed (local demos, tests).
    pub(super) allow_private: bool,
    /// Requests go through the operator's proxy, which resolves destination names itself:
    /// they are checked here before being handed to it.
    pub(super) proxied: bool,
}

impl Client {
    /// The client for `proxy` (None: direct). Environment proxy variables (`HTTP_PROXY` …)
    /// are ignored: through them a request would reach an address the guard never saw.
    pub fn build(allow_private: bool, proxy: Option<&Url>) -> anyhow::Result<Self> {
        // rustls needs one process-wide crypto provider; a second install is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64);
        builder = match proxy {
            // The proxy itself is the operator's choice and may well be private.
            Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.as_str())?),
            None if allow_private => builder.no_proxy(),
            None => builder.no_proxy().dns_resolver(Arc::new(GuardedResolver)),
        };
        Ok(Self {
            http: builder.build()?,
            allow_private,
            proxied: proxy.is_some(),
        })
    }

    /// Why `url` may not be called, if it may not: a literal forbidden address, or — when a
    /// proxy will resolve the name — a name with any forbidden address. Without a proxy, the
    /// resolver drops forbidden addresses of names as they are connected to.
    pub(super) async fn refusal(&self, url: &reqwest::Url) -> Option<String> {
        if self.allow_private {
            return None;
        }
        if let Some(refusal) = guard::literal_refusal(url) {
            return Some(refusal);
        }
        if self.proxied {
            return guard::name_refusal(url).await;
        }
        None
    }
}
