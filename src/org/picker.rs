//! The region picker of every form and filter, staff and public alike: one select per level from
//! the top of the user's area down to the chosen place, each loading the next, and a search by
//! name, pinyin or initials (`static/firecast.js`). Without script the selects still post, and
//! [`picked`] reads the deepest one.

use super::store::{self, Region};
use super::{RegionCode, Scope};
use crate::db::Db;
use crate::{Error, Result};

/// One level of the picker: the subdivisions of the region above, one of them chosen.
pub struct PickLevel {
    /// The level of the options (1 prefecture … 4 community).
    pub level: i16,
    /// (code, name).
    pub options: Vec<(String, String)>,
    /// The chosen code, or empty.
    pub selected: String,
}

/// What a form asks of its picker.
#[derive(Clone, Copy)]
pub struct Spec {
    /// The form field that carries the chosen code.
    pub field: &'static str,
    /// The shallowest level that may be chosen (a place with nothing below it may always be).
    pub min_level: i16,
    /// The deepest level offered.
    pub max_level: i16,
    /// A filter: nothing chosen means the whole area.
    pub optional: bool,
}

impl Spec {
    /// A list or report filter: any place of the area down to `max_level`, or all of it.
    pub const fn filter(field: &'static str, max_level: i16) -> Self {
        Self { field, min_level: 0, max_level, optional: true }
    }

    /// A place that must be chosen, between two levels.
    pub const fn required(field: &'static str, min_level: i16, max_level: i16) -> Self {
        Self { field, min_level, max_level, optional: false }
    }
}

/// The picker as a form shows it.
pub struct RegionPicker {
    /// What the form asks.
    pub spec: Spec,
    /// Where the picker loads subdivisions and matches from.
    pub source: &'static str,
    /// The top of the area (shown when nothing is chosen).
    pub root: Region,
    /// The selects, from the top of the area down.
    pub levels: Vec<PickLevel>,
    /// The chosen code, or empty.
    pub value: String,
    /// The code that stands when nothing is chosen: the whole area when it may be chosen itself
    /// (a province-wide activity), else none.
    pub unchosen: String,
}

/// The region a form or a request names by its code (`typed`), inside the scope; a refusal naming
/// `field` otherwise.
pub async fn place(db: &Db, scope: &Scope, field: &str, typed: &str) -> Result<Region> {
    let found = match RegionCode::parse(typed) {
        Ok(code) => store::region(db, scope, code.as_str()).await.ok(),
        Err(_) => None,
    };
    found.ok_or_else(|| Error::invalid(field, crate::i18n::keyed("error.event_region_outside", &[typed.trim()])))
}

/// The picker for `spec`, inside `scope`, with `selected` chosen (empty for none). `public`
/// pickers load from the public endpoint.
pub async fn build(db: &Db, scope: &Scope, spec: Spec, selected: &str, public: bool) -> Result<RegionPicker> {
    let root = store::scope_root(db, scope).await?;
    let chosen = if selected.is_empty() { None } else { store::region(db, scope, selected).await.ok() };
    let chain = match &chosen {
        Some(r) => store::region_ancestors(db, scope, &r.path).await?,
        None => vec![root.clone()],
    };
    let mut levels = Vec::new();
    for (i, r) in chain.iter().enumerate() {
        if r.level >= spec.max_level {
            break;
        }
        let options = store::region_children(db, scope, &r.code).await?.into_iter().map(|c| (c.code, c.name)).collect();
        let selected = chain.get(i + 1).map(|c| c.code.clone()).unwrap_or_default();
        levels.push(PickLevel { level: r.level + 1, options, selected });
    }
    let unchosen = if spec.optional || root.level < spec.min_level { String::new() } else { root.code.clone() };
    // An area of one place (a grid worker's community) has nothing to choose.
    let value = if levels.is_empty() {
        root.code.clone()
    } else {
        chosen.filter(|r| r.level >= spec.min_level || r.children == 0).map_or_else(|| unchosen.clone(), |r| r.code)
    };
    let source = if public { "/api/v1/public/regions" } else { "/api/v1/regions" };
    Ok(RegionPicker { spec, source, root, levels, value, unchosen })
}

/// The code a posted form chose: the field itself, or (posted without script) the deepest select.
pub fn picked(field: &str, get: impl Fn(&str) -> Option<String>) -> String {
    let value = |k: &str| get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    (1..=4).rev().find_map(|l| value(&format!("{field}_l{l}"))).or_else(|| value(field)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::picked;

    #[test]
    fn the_deepest_select_wins_over_the_field_posted_without_script() {
        let form = [("region_code", "220102"), ("region_code_l2", "220102"), ("region_code_l3", "220102001")];
        let get = |k: &str| form.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned());
        assert_eq!(picked("region_code", get), "220102001");
        let only = |k: &str| (k == "region_code").then(|| " 220102 ".to_owned());
        assert_eq!(picked("region_code", only), "220102");
        assert_eq!(picked("region_code", |_| None), "");
    }
}
