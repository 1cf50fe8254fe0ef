//! Every SQL statement about activity records, their figures and photos, the media register, and
//! the running totals (per region and per duty) that approvals add to.

mod media;
mod photos;
mod records;

pub use media::*;
pub use photos::*;
pub use records::*;
