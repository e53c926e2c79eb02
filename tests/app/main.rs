//! Hookline's integration tests: one binary, each test with its own app and database.

mod api;
mod browser;
mod cli;
mod crash;
mod csrf;
mod delivery;
mod events;
mod helpers;
mod orders;
mod receiver;
mod rights;
mod sessions;
mod sign_in;
mod users;
mod webhooks;
mod writer;
