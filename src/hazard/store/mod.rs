//! Every SQL statement about hazard reports: the category catalogue, reports and their timeline,
//! photos, the running counters per region and state (and the rectification-days histogram) kept
//! in the same transaction as every insert and transition, the overdue sweep, and the figures the
//! campaigns count.

mod changes;
mod counters;
mod figures;
mod list;
mod photos;
mod reports;
mod sweep;

pub use changes::*;
pub use counters::*;
pub use figures::*;
pub use list::*;
pub use photos::*;
pub use reports::*;
pub use sweep::*;
