//! Partner platforms (美团, shared-bike operators, 大众点评) carrying safety tips: each partner
//! unit gets keys with scopes — reading the approved products, reading the playlist of a place of
//! its area, posting its reach figures back — rate-limited and revocable. Reach figures arrive as
//! activity records for review, in the campaign running on their day.

pub mod actions;
pub mod api;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::org::text_enum;

text_enum! {
    /// What a partner's key may do.
    #[schema(as = PartnerKeyScope)]
    KeyScope {
        /// Read the approved products of its area.
        Products = "products",
        /// Read the playlist of a place of its area (warnings, scheduled captions, tips, events).
        Feeds = "feeds",
        /// Post its reach figures back, as records for review.
        Reach = "reach",
    }
}

/// A key's prefix, so that a leaked one is recognised.
pub const KEY_PREFIX: &str = "fcp_";

/// Calls one key may make in an hour.
pub const CALLS_PER_HOUR: i64 = 600;

/// Scopes as stored: `,products,reach,`.
pub fn store_scopes(scopes: &[KeyScope]) -> String {
    let mut out = String::from(",");
    for s in KeyScope::ALL.iter().filter(|s| scopes.contains(s)) {
        out.push_str(s.as_str());
        out.push(',');
    }
    out
}

/// Scopes as stored, read back (names no longer known are dropped).
pub fn read_scopes(stored: &str) -> Vec<KeyScope> {
    stored.split(',').filter_map(KeyScope::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_stored_in_order_and_read_back() {
        let stored = store_scopes(&[KeyScope::Reach, KeyScope::Products]);
        assert_eq!(stored, ",products,reach,");
        assert_eq!(read_scopes(&stored), vec![KeyScope::Products, KeyScope::Reach]);
        assert_eq!(read_scopes(","), vec![]);
    }
}
