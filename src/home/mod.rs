//! The signed-in user's home page: what waits for them, who they are, their unit's duties, and
//! their area at a glance.

pub mod api;
pub mod pages;
pub mod public;
pub mod waiting;
