//! firecast runs a province's fire-safety publicity and education work.
//!
//! The module map, one line per area (see `docs/ARCHITECTURE.md`):

/// Activity records with figures, photos and review, and the media register.
pub mod activity;
/// Urgent warnings published as CAP 1.2 through the national profile, with their Atom index.
pub mod alert;
/// The application assembled: router, middleware, OpenAPI, `serve()`.
pub mod app;
/// Campaign-independent audit trail: who did what, from where, with which outcome.
pub mod audit;
/// `firecast bench`: the performance workloads.
pub mod bench;
/// Campaigns, their duties and targets, and the metric catalogue.
pub mod campaign;
/// The command line: serve, demo, migrate, user, bench.
pub mod cli;
/// Times: stored in UTC, shown in China Standard Time.
pub mod clock;
/// Short codes people read aloud or type: tracking codes, tickets.
pub mod code;
/// One `Config` from flags and `FIRECAST_*` variables.
pub mod config;
/// The SQLite / PostgreSQL database handle, migrations and bulk helpers.
pub mod db;
/// Demo data: sample units and accounts on top of the reference data.
pub mod demo;
/// One `Error` type for every handler and command.
pub mod error;
/// Public events residents register for: places, a waiting list, tickets checked at the door,
/// registrations by channel, and their iCalendar feed.
pub mod event;
/// Hazard reports from home checks and residents, followed through to rectification.
pub mod hazard;
/// The signed-in user's home page.
pub mod home;
/// The languages and their strings (locales/), error messages included.
pub mod i18n;
/// Regions, units, users, sessions and API tokens.
pub mod org;
/// Partner platforms' keys: reading products and playlists, posting reach back for review.
pub mod partner;
/// Personal data at rest: sealed with a key outside the database, indexed blind, shown masked.
pub mod personal;
/// Photos as evidence: checked, re-encoded, stripped of metadata.
pub mod photo;
/// Publicity products pushed down four levels and delivered to households and partners.
pub mod push;
/// The knowledge quiz: questions, banks and their interchange formats.
pub mod quiz;
/// The dashboard and the written report, with charts, the map and exports.
pub mod report;
/// Screens (LED captions, e-stations, outdoor screens) pulling their playlists with keys of their own.
pub mod screen;
/// Spreadsheets in and out: XLSX and CSV (UTF-8, GBK) with errors by row and column.
pub mod sheet;
/// Livestreams: the player, viewers counted by day, moderated comments, reported views.
pub mod stream;
/// Charts and the Jilin map, drawn on the server as SVG.
pub mod svg;
/// Helpers of the unit tests: files opened in the programs their users open them in.
#[cfg(test)]
pub(crate) mod testing;
/// Volunteer teams, members, service events and hours, periods and the challenge.
pub mod volunteer;
/// The HTTP toolkit: state, extractors, sessions, CSRF, i18n, assets and the page shell.
pub mod web;

pub use error::{Error, Result};
