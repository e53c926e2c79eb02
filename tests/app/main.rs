//! Hookline's integration tests: one binary, each test with its own app and database.

mod api;
mod backup;
mod browser;
mod cli;
mod crash;
mod csrf;
mod deleting;
mod delivery;
mod egress;
mod escalation;
mod events;
mod first_day;
mod helpers;
mod log_loss;
mod orders;
mod process;
mod receiver;
mod retry;
mod rights;
mod saved_filters;
mod secrets_at_rest;
mod sessions;
mod sign_in;
mod users;
mod webhooks;
mod writer;
