//! Delivery: the queue's workers, the shared HTTP client and its outgoing-address guard,
//! Standard Webhooks signing, the retry policy, and retention.

pub mod call;
pub mod client;
pub mod engine;
pub mod guard;
pub mod housekeeping;
pub mod inbox;
pub mod policy;
pub mod request;
pub mod send;
pub mod signing;

pub use call::{Attempt, Caller};
pub use engine::Deliverer;
