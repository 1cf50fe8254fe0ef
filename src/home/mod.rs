//! The signed-in user's home page: who they are, their unit's duties, and their area at a glance.

pub mod pages;
