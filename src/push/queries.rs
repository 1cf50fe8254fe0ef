//! The read side shared by the push API and pages: the library's search parameters and pages.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::store::{Product, ProductFilter};

/// Library search parameters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct ProductParams {
    /// Words in titles, texts or pinyin.
    pub q: Option<String>,
    #[param(value_type = Option<super::ProductKind>)]
    pub(crate) kind: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    #[param(value_type = Option<super::ProductState>)]
    pub(crate) state: Option<String>,
    /// At most this many (default 50, at most 200).
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

impl ProductParams {
    /// The store's filter.
    pub fn filter(&self) -> ProductFilter {
        let some = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        ProductFilter {
            q: some(&self.q).unwrap_or_default().to_lowercase(),
            kind: some(&self.kind),
            tag: some(&self.tag),
            state: some(&self.state),
        }
    }
}

/// A page of the library.
#[derive(Serialize, ToSchema)]
pub struct ProductPage {
    pub(crate) items: Vec<Product>,
    /// How many match.
    pub total: i64,
}
