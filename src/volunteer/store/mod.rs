//! Every SQL statement about volunteer teams, members, credentials, service events and sign-ups,
//! the hours ledger, service periods and the challenge. Every read reachable from HTTP takes the
//! caller's scope (the team's region path lies inside it); public event pages find an event by its
//! random token only.

mod challenge;
mod credentials;
mod events;
mod ledger;
mod members;
mod periods;
mod teams;

pub use challenge::*;
pub use credentials::*;
pub use events::*;
pub use ledger::*;
pub use members::*;
pub use periods::*;
pub use teams::*;
