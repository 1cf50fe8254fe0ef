//! Every SQL statement of the push area: the product library and its variants, pushes with their
//! targets and sign-off nodes (created level by level with one `insert … select` each), residents'
//! subscriptions, partner endpoints, the fan-out of a push into the delivery table (one set-based
//! insert, into a partition of its own on PostgreSQL), the workers' claims and results, inboxes,
//! statistics, the campaign figure, and the archive of finished pushes' deliveries.

mod archive;
mod dispatch;
mod endpoints;
mod fanout;
mod inbox;
mod products;
mod pushes;
mod stats;
mod subscribers;
mod targeting;

pub use archive::*;
pub use dispatch::*;
pub use endpoints::*;
pub use fanout::*;
pub use inbox::*;
pub use products::*;
pub use pushes::*;
pub use stats::*;
pub use subscribers::*;
pub use targeting::*;
