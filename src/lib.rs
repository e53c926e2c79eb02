//! Hookline: outgoing webhooks for a project-portfolio platform.

pub mod api;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod events;
pub mod metrics;
pub mod random;
pub mod sealing;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
