//! Jilin's reference data, compiled in: the five-level region tree with 2020 census population, and
//! the standing organisation (the corps, ten detachments, a brigade per county-level unit, and the
//! line departments of the provincial plan). Loaded once into an empty database.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, anyhow};
use pinyin::ToPinyin;

use super::{RegionKind, UnitKind, store};
use crate::db::Db;

const PROVINCES: &str = include_str!("../../data/regions/provinces.csv");
const CITIES: &str = include_str!("../../data/regions/cities.csv");
const AREAS: &str = include_str!("../../data/regions/areas.csv");
const STREETS: &str = include_str!("../../data/regions/streets.csv");
const VILLAGES: &str = include_str!("../../data/regions/villages.csv");
const POPULATION: &str = include_str!("../../data/population-2020.csv");

/// Family households in the province, 2020 census.
pub const PROVINCE_HOUSEHOLDS: i64 = 9_426_822;
/// The code firecast gives the Changbaishan zone (see `data/README.md`).
pub const CHANGBAISHAN: &str = "229900";
/// The name of the provincial corps unit.
pub const CORPS: &str = "吉林省消防救援总队";

/// A region as loaded.
#[derive(Clone, Debug)]
pub struct NewRegion {
    /// Region code (6, 9 or 12 digits).
    pub code: String,
    /// Parent region code.
    pub parent_code: Option<String>,
    /// 0 province … 4 village.
    pub level: i16,
    /// Chinese name.
    pub name: String,
    /// Regular, development zone or management zone.
    pub kind: RegionKind,
    /// Materialised path.
    pub path: String,
    /// Full pinyin without tones.
    pub pinyin: String,
    /// Pinyin initials.
    pub initials: String,
    /// 2020 census resident population, where known.
    pub population: Option<i64>,
    /// Family households, where known or estimated.
    pub households: Option<i64>,
}

/// A unit as loaded.
#[derive(Clone, Debug)]
pub struct NewUnit {
    /// Unit name (unique).
    pub name: String,
    /// Unit kind.
    pub kind: UnitKind,
    /// Region code it works in.
    pub region_code: String,
    /// Name of the unit above it.
    pub parent: Option<String>,
}

/// Pinyin (full, toneless) and initials of a Chinese name; other characters pass through.
pub fn pinyin_of(name: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for (ch, py) in name.chars().zip(name.to_pinyin()) {
        match py {
            // In place names 长 reads cháng (长春, 长白, 长岭), not the dictionary's first zhǎng.
            Some(_) if ch == '长' => {
                full.push_str("chang");
                initials.push('c');
            }
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None if ch.is_ascii_alphanumeric() => {
                full.push(ch.to_ascii_lowercase());
                initials.push(ch.to_ascii_lowercase());
            }
            None => {}
        }
    }
    (full, initials)
}

fn records(csv_text: &str) -> anyhow::Result<Vec<csv::StringRecord>> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .records()
        .collect::<Result<_, _>>()
        .context("reading the compiled-in region data")
}

fn field(r: &csv::StringRecord, i: usize) -> anyhow::Result<String> {
    r.get(i).map(str::to_owned).ok_or_else(|| anyhow!("region data row {r:?} lacks column {i}"))
}

/// Builds the tree, remembering each region's path by its statistical code segment.
#[derive(Default)]
struct Tree {
    regions: Vec<NewRegion>,
    path_of: HashMap<String, String>,
}

impl Tree {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        code: String,
        segment: &str,
        parent: Option<&str>,
        level: i16,
        name: String,
        kind: RegionKind,
        population: Option<i64>,
    ) -> anyhow::Result<()> {
        let parent_path = match parent {
            Some(p) => {
                Some(self.path_of.get(p).cloned().ok_or_else(|| anyhow!("region {code} names an unknown parent {p}"))?)
            }
            None => None,
        };
        let path = format!("{}{segment}/", parent_path.as_deref().unwrap_or("/"));
        let parent_code = parent.map(super::path::code_of_segment);
        let (pinyin, initials) = pinyin_of(&name);
        self.path_of.insert(segment.to_owned(), path.clone());
        self.regions.push(NewRegion {
            code,
            parent_code,
            level,
            name,
            kind,
            path,
            pinyin,
            initials,
            population,
            households: None,
        });
        Ok(())
    }
}

/// The region tree, parents before children.
pub fn regions() -> anyhow::Result<Vec<NewRegion>> {
    let population = population()?;
    let people = |code: &str| population.get(code).copied();
    let mut tree = Tree::default();
    let province = records(PROVINCES)?.into_iter().next().ok_or_else(|| anyhow!("no province row"))?;
    let segment = field(&province, 0)?;
    let code = format!("{segment:0<6}");
    tree.push(code.clone(), &segment, None, 0, field(&province, 1)?, RegionKind::Regular, people(&code))?;
    for r in records(CITIES)? {
        let segment = field(&r, 0)?;
        let code = super::path::code_of_segment(&segment);
        tree.push(code.clone(), &segment, Some(&field(&r, 2)?), 1, field(&r, 1)?, RegionKind::Regular, people(&code))?;
    }
    tree.push(
        CHANGBAISHAN.to_owned(),
        "2299",
        Some("22"),
        1,
        "长白山保护开发区".to_owned(),
        RegionKind::MgmtZone,
        people(CHANGBAISHAN),
    )?;
    for (text, level) in [(AREAS, 2), (STREETS, 3), (VILLAGES, 4)] {
        for r in records(text)? {
            let code = field(&r, 0)?;
            let kind = if level == 2 && matches!(&code[4..], "71" | "72" | "73" | "74") {
                RegionKind::DevZone
            } else {
                RegionKind::Regular
            };
            tree.push(code.clone(), &code, Some(&field(&r, 2)?), level, field(&r, 1)?, kind, people(&code))?;
        }
    }
    let mut regions = tree.regions;
    spread_households(&mut regions);
    Ok(regions)
}

/// Census population by region code; Tonghua includes Meihekou, which lies inside it in the tree.
fn population() -> anyhow::Result<HashMap<String, i64>> {
    let mut map = HashMap::new();
    let mut total = 0;
    for r in records(POPULATION)? {
        let people: i64 = field(&r, 3)?.parse().context("population column")?;
        total += people;
        let code = match (field(&r, 0)?.as_str(), field(&r, 2)?) {
            ("zone", _) => CHANGBAISHAN.to_owned(),
            (_, code) => code,
        };
        map.insert(code, people);
    }
    let meihekou = map.get("220581").copied().unwrap_or(0);
    *map.entry("220500".to_owned()).or_default() += meihekou;
    map.insert("220000".to_owned(), total);
    Ok(map)
}

/// Spreads the province's households over the prefecture-level regions in proportion to
/// population (largest remainder, so they add up exactly).
fn spread_households(regions: &mut [NewRegion]) {
    let prefectures: Vec<usize> = (0..regions.len()).filter(|&i| regions[i].level == 1).collect();
    let people: i64 = prefectures.iter().filter_map(|&i| regions[i].population).sum();
    if people == 0 {
        return;
    }
    let mut shares: Vec<(usize, i64, i64)> = prefectures
        .iter()
        .map(|&i| {
            let p = i128::from(regions[i].population.unwrap_or(0)) * i128::from(PROVINCE_HOUSEHOLDS);
            let (q, r) = (p / i128::from(people), p % i128::from(people));
            (i, i64::try_from(q).unwrap_or(0), i64::try_from(r).unwrap_or(0))
        })
        .collect();
    let mut left = PROVINCE_HOUSEHOLDS - shares.iter().map(|s| s.1).sum::<i64>();
    shares.sort_by_key(|s| std::cmp::Reverse(s.2));
    for s in &mut shares {
        if left > 0 {
            s.1 += 1;
            left -= 1;
        }
        regions[s.0].households = Some(s.1);
    }
    if let Some(province) = regions.iter_mut().find(|r| r.level == 0) {
        province.households = Some(PROVINCE_HOUSEHOLDS);
    }
}

/// The line departments of the provincial plan (省安委会 and 省消防救援委员会 joint notice).
pub const DEPARTMENTS: &[&str] = &[
    "省委社会工作部",
    "吉林省应急管理厅",
    "吉林省文化和旅游厅",
    "吉林省商务厅",
    "吉林省教育厅",
    "吉林省邮政管理局",
    "吉林省人民检察院",
    "吉林省公安厅",
];

/// The standing organisation: corps, detachments, brigades and line departments.
pub fn units(regions: &[NewRegion]) -> Vec<NewUnit> {
    let mut units =
        vec![NewUnit { name: CORPS.to_owned(), kind: UnitKind::Corps, region_code: "220000".to_owned(), parent: None }];
    let mut detachment_of: HashMap<&str, String> = HashMap::new();
    for r in regions.iter().filter(|r| r.level == 1) {
        let name = if r.code == CHANGBAISHAN {
            "长白山消防救援支队".to_owned()
        } else {
            format!("{}消防救援支队", r.name)
        };
        detachment_of.insert(&r.code, name.clone());
        units.push(NewUnit {
            name,
            kind: UnitKind::Detachment,
            region_code: r.code.clone(),
            parent: Some(CORPS.to_owned()),
        });
    }
    let city_name: HashMap<&str, &str> =
        regions.iter().filter(|r| r.level == 1).map(|r| (r.code.as_str(), r.name.as_str())).collect();
    let mut names = HashSet::new();
    for r in regions.iter().filter(|r| r.level == 2) {
        let parent = r.parent_code.as_deref().unwrap_or_default();
        let city = city_name.get(parent).copied().unwrap_or_default();
        let name = if r.name.ends_with('区') && !r.name.starts_with(city.trim_end_matches(['市', '州'])) {
            format!("{city}{}消防救援大队", r.name)
        } else {
            format!("{}消防救援大队", r.name)
        };
        let name = if names.insert(name.clone()) { name } else { format!("{city}{name}") };
        units.push(NewUnit {
            name,
            kind: UnitKind::Brigade,
            region_code: r.code.clone(),
            parent: detachment_of.get(parent).cloned(),
        });
    }
    for name in DEPARTMENTS {
        units.push(NewUnit {
            name: (*name).to_owned(),
            kind: UnitKind::Department,
            region_code: "220000".to_owned(),
            parent: None,
        });
    }
    units
}

/// Loads the regions and the standing organisation into a database that has none.
pub async fn load(db: &Db) -> anyhow::Result<()> {
    if store::region_count(db).await? > 0 {
        return Ok(());
    }
    let regions = regions()?;
    let units = units(&regions);
    store::insert_reference(db, &regions, &units).await?;
    store::analyze_reference(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_has_five_levels_with_the_expected_counts() {
        let regions = regions().unwrap();
        let count = |level| regions.iter().filter(|r| r.level == level).count();
        assert_eq!([count(0), count(1), count(2), count(3), count(4)], [1, 10, 69, 1075, 11860]);
        assert_eq!(regions.iter().filter(|r| r.kind == RegionKind::DevZone).count(), 9);
        let nanguan = regions.iter().find(|r| r.code == "220102").unwrap();
        assert_eq!(nanguan.path, "/22/2201/220102/");
        assert_eq!(nanguan.parent_code.as_deref(), Some("220100"));
        let village = regions.iter().find(|r| r.code == "220102001001").unwrap();
        assert_eq!(village.path, "/22/2201/220102/220102001/220102001001/");
        assert_eq!(village.parent_code.as_deref(), Some("220102001"));
    }

    #[test]
    fn population_and_households_add_up() {
        let regions = regions().unwrap();
        let level1 = regions.iter().filter(|r| r.level == 1);
        assert_eq!(level1.clone().filter_map(|r| r.population).sum::<i64>(), 24_073_453);
        assert_eq!(level1.filter_map(|r| r.households).sum::<i64>(), PROVINCE_HOUSEHOLDS);
        let tonghua = regions.iter().find(|r| r.code == "220500").unwrap();
        assert_eq!(tonghua.population, Some(1_302_778 + 509_336));
        let cbs = regions.iter().find(|r| r.code == CHANGBAISHAN).unwrap();
        assert_eq!(cbs.population, Some(61_146));
    }

    #[test]
    fn pinyin_initials() {
        assert_eq!(pinyin_of("长春市").1, "ccs");
        assert_eq!(pinyin_of("延边朝鲜族自治州").1, "ybcxzzzz");
        assert_eq!(pinyin_of("南关区").0, "nanguanqu");
    }

    #[test]
    fn the_organisation_has_a_unit_per_region() {
        let regions = regions().unwrap();
        let units = units(&regions);
        let of = |k| units.iter().filter(|u| u.kind == k).count();
        assert_eq!(of(UnitKind::Corps), 1);
        assert_eq!(of(UnitKind::Detachment), 10);
        assert_eq!(of(UnitKind::Brigade), 69);
        assert_eq!(of(UnitKind::Department), DEPARTMENTS.len());
        let names: HashSet<_> = units.iter().map(|u| &u.name).collect();
        assert_eq!(names.len(), units.len(), "unit names are unique");
        assert!(units.iter().any(|u| u.name == "长春市南关区消防救援大队"));
        assert!(units.iter().any(|u| u.name == "农安县消防救援大队"));
    }
}
