//! The integration tests: every test runs on `SQLite` and, when `FIRECAST_TEST_POSTGRES_URL` is set,
//! again on `PostgreSQL`, each on a fresh database.

mod helpers;

mod accounts;
mod alerts;
mod audit;
mod bad_input;
mod campaigns;
mod cli;
mod crawl;
mod events;
mod fake_sms;
mod hazards;
mod home;
mod operations;
mod partners;
mod push;
mod quiz;
mod quiz_live;
mod quiz_selection;
mod regions;
mod reports;
mod resident;
mod scope_matrix;
mod screens;
mod sms;
mod streams;
mod volunteers;
mod write_scope;
