//! The shape of the code, read from its own `use crate::…` lines and qualified paths: which file
//! imports which. It fails on an arrow the design forbids (see `docs/ARCHITECTURE.md`):
//!
//! - no import cycle joins files of more than one top-level folder (an area, `web`, `org`, …);
//! - `web/` imports no area: only the base (`error`, `clock`, `config`, `db`, `i18n`, `personal`) and the
//!   caller's types in `org/mod.rs` and `org/caller.rs`;
//! - no `actions.rs`, `store.rs` (or file of a `store/` folder) or `queries.rs` imports `web`;
//! - the base and `svg/` import neither an area nor `web`;
//! - pages never call into `api.rs`: what both need is in the area's `queries.rs`;
//! - only the top (`main`, `cli`, `bench`, `demo`, `app`) imports `app`, `cli`, `bench` or `demo`.
//!
//! It also reads which names the API's schemas take (`ToSchema` types and `text_enum!` types, by
//! their own name or their `#[schema(as = …)]`): two types under one name would make the `OpenAPI`
//! document describe one of them with the other's shape.
//!
//! Run it alone with `cargo test --test layers`; it prints every arrow it refuses.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A module path inside the crate, such as `["push", "store"]`.
type ModPath = Vec<String>;

/// Every `.rs` file under `src/`, by its module path.
fn modules(src: &Path) -> BTreeMap<ModPath, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::path);
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut map = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).expect("under src");
        let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        let last = parts.pop().expect("a file name");
        match last.as_str() {
            "main.rs" if parts.is_empty() => continue,
            "lib.rs" if parts.is_empty() => {}
            "mod.rs" => {}
            name => parts.push(name.trim_end_matches(".rs").to_owned()),
        }
        map.insert(parts, f);
    }
    map
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Colons,
    Open,
    Close,
    Comma,
    Semi,
    Star,
    Other,
}

/// The tokens of a source file, without comments, strings and characters.
fn tokens(text: &str) -> Vec<Tok> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < c.len() && !(c[i] == '*' && c[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if ch == 'r' && (c.get(i + 1) == Some(&'"') || c.get(i + 1) == Some(&'#')) && {
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            c.get(j) == Some(&'"')
        } {
            let mut hashes = 0;
            i += 1;
            while c[i] == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            loop {
                if i >= c.len() {
                    break;
                }
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push(Tok::Other);
        } else if ch == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(Tok::Other);
        } else if ch == '\'' {
            if c.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
            out.push(Tok::Other);
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect()));
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Tok::Colons);
            i += 2;
        } else {
            out.push(match ch {
                '{' => Tok::Open,
                '}' => Tok::Close,
                ',' => Tok::Comma,
                ';' => Tok::Semi,
                '*' => Tok::Star,
                c if c.is_whitespace() => {
                    i += 1;
                    continue;
                }
                _ => Tok::Other,
            });
            i += 1;
        }
    }
    out
}

/// One path a `use` names, and the name it is bound to (`None` for a glob).
struct UsePath {
    path: Vec<String>,
    alias: Option<String>,
}

/// Reads a use tree starting at `t[*i]`, prefixed by `prefix`.
fn use_tree(t: &[Tok], i: &mut usize, prefix: &[String], out: &mut Vec<UsePath>) {
    let mut path = prefix.to_vec();
    loop {
        match t.get(*i) {
            Some(Tok::Ident(s)) if s == "as" => {
                *i += 1;
                if let Some(Tok::Ident(a)) = t.get(*i) {
                    *i += 1;
                    out.push(UsePath { path, alias: Some(a.clone()) });
                }
                return;
            }
            Some(Tok::Ident(s)) => {
                path.push(s.clone());
                *i += 1;
            }
            Some(Tok::Colons) => *i += 1,
            Some(Tok::Star) => {
                *i += 1;
                out.push(UsePath { path, alias: None });
                return;
            }
            Some(Tok::Open) => {
                *i += 1;
                loop {
                    match t.get(*i) {
                        Some(Tok::Close) => {
                            *i += 1;
                            return;
                        }
                        Some(Tok::Comma) => *i += 1,
                        None => return,
                        _ => use_tree(t, i, &path, out),
                    }
                }
            }
            _ => {
                if path.len() > prefix.len() {
                    let mut path = path;
                    if path.last().is_some_and(|s| s == "self") {
                        path.pop();
                    }
                    let alias = path.last().cloned();
                    out.push(UsePath { path, alias });
                }
                return;
            }
        }
    }
}

/// Turns `crate::…`, `super::…` and `self::…` into a path from the crate root.
fn absolute(here: &[String], path: &[String]) -> Option<ModPath> {
    let mut base: ModPath = here.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The longest prefix of `path` that is a module.
fn target(mods: &BTreeMap<ModPath, PathBuf>, path: &[String]) -> Option<ModPath> {
    (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| mods.contains_key(p))
}

/// Every arrow of the crate: file → files it imports.
fn arrows(mods: &BTreeMap<ModPath, PathBuf>) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let mut all = BTreeMap::new();
    for (here, file) in mods {
        let text = std::fs::read_to_string(file).expect("read a source file");
        let t = tokens(&text);
        // Child modules are reachable by name.
        let mut aliases: HashMap<String, ModPath> = mods
            .keys()
            .filter(|m| m.len() == here.len() + 1 && m.starts_with(here))
            .map(|m| (m[m.len() - 1].clone(), m.clone()))
            .collect();
        let mut paths: Vec<ModPath> = Vec::new();
        let mut i = 0;
        while i < t.len() {
            if t[i] == Tok::Ident("use".to_owned()) {
                i += 1;
                let mut found = Vec::new();
                use_tree(&t, &mut i, &[], &mut found);
                for u in found {
                    if let Some(abs) = absolute(here, &u.path) {
                        if let Some(alias) = u.alias
                            && mods.contains_key(&abs)
                        {
                            aliases.insert(alias, abs.clone());
                        }
                        paths.push(abs);
                    }
                }
                continue;
            }
            // A qualified path: ident (:: ident)+.
            if let Tok::Ident(first) = &t[i]
                && t.get(i + 1) == Some(&Tok::Colons)
                && (i == 0 || t[i - 1] != Tok::Colons)
            {
                let mut path = vec![first.clone()];
                let mut j = i + 1;
                while t.get(j) == Some(&Tok::Colons) {
                    if let Some(Tok::Ident(s)) = t.get(j + 1) {
                        path.push(s.clone());
                        j += 2;
                    } else {
                        break;
                    }
                }
                let abs = absolute(here, &path).or_else(|| {
                    aliases.get(first).map(|m| m.iter().cloned().chain(path[1..].iter().cloned()).collect())
                });
                if let Some(abs) = abs {
                    paths.push(abs);
                }
                i = j;
                continue;
            }
            i += 1;
        }
        let targets: BTreeSet<ModPath> =
            paths.iter().filter_map(|p| target(mods, p)).filter(|p| p != here && !p.is_empty()).collect();
        all.insert(here.clone(), targets);
    }
    all
}

/// The top-level folder (or file) a module belongs to.
fn room(m: &[String]) -> &str {
    m.first().map_or("lib", String::as_str)
}

fn show(m: &[String]) -> String {
    if m.is_empty() { "lib".to_owned() } else { m.join("::") }
}

/// Strongly connected components (Tarjan), each with more than one file.
fn circles(g: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct S<'a> {
        g: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: HashMap<&'a ModPath, usize>,
        low: HashMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on: BTreeSet<&'a ModPath>,
        next: usize,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(s: &mut S<'a>, v: &'a ModPath) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        for w in s.g.get(v).into_iter().flatten() {
            let Some((w, _)) = s.g.get_key_value(w) else { continue };
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut c = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                c.push(w.clone());
                if w == v {
                    break;
                }
            }
            if c.len() > 1 {
                c.sort();
                s.out.push(c);
            }
        }
    }
    let mut s = S {
        g,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

const BASE: &[&str] = &["error", "clock", "config", "db", "i18n", "personal"];
const TOP: &[&str] = &["app", "cli", "bench", "demo"];
const AREAS: &[&str] =
    &["activity", "audit", "campaign", "hazard", "home", "push", "quiz", "report", "volunteer", "photo", "sheet"];

/// Why an arrow from `from` to `to` is refused, if it is.
fn refused(from: &[String], to: &[String]) -> Option<&'static str> {
    let (a, b) = (room(from), room(to));
    let file = from.last().map_or("", String::as_str);
    if a == "web" && b != "web" && !BASE.contains(&b) && !(b == "org" && (to.len() == 1 || to[1] == "caller")) {
        return Some("web imports only the base and the caller's types in org");
    }
    if b == "web" && (matches!(file, "actions" | "queries" | "store") || from.iter().any(|s| s == "store")) {
        return Some("actions, stores and queries never import web");
    }
    if (BASE.contains(&a) || a == "svg") && (AREAS.contains(&b) || b == "web" || b == "org" || TOP.contains(&b)) {
        return Some("the base and svg import no area, no org and no web");
    }
    if matches!(file, "pages" | "public") && to.last().is_some_and(|s| s == "api") {
        return Some("pages share the read side in queries.rs, never call into api.rs");
    }
    if TOP.contains(&b) && !TOP.contains(&a) && a != "lib" {
        return Some("only the top imports app, cli, bench and demo");
    }
    None
}

/// The schema names the API documents, each with the files that claim it.
fn schema_names(mods: &BTreeMap<ModPath, PathBuf>) -> BTreeMap<String, Vec<String>> {
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in mods.values() {
        let text = std::fs::read_to_string(file).expect("read a source file");
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            // The attributes and doc lines after a `ToSchema` derive or a `text_enum! {`, up to the
            // type's name.
            let derives = line.starts_with("#[derive(") && line.contains("ToSchema");
            if !(derives || *line == "text_enum! {") {
                continue;
            }
            let mut alias = None;
            for next in &lines[i + 1..] {
                if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                    alias = rest.split(')').next().map(str::to_owned);
                } else if next.starts_with("#[") || next.starts_with("///") {
                } else {
                    let own = next
                        .trim_start_matches("pub ")
                        .trim_start_matches("struct ")
                        .trim_start_matches("enum ")
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    names.entry(alias.unwrap_or(own)).or_default().push(file.display().to_string());
                    break;
                }
            }
        }
    }
    names
}

#[test]
fn every_api_schema_has_its_own_name() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let names = schema_names(&modules(&src));
    // The reader sees a derive, a text_enum! and an alias of each.
    for known in ["Problem", "UnitKind", "HazardState", "HazardTransition", "ServiceEvent"] {
        assert!(names.contains_key(known), "{known} not seen");
    }
    assert!(names.len() > 150, "the reader found only {} schema names", names.len());
    let shared: Vec<String> = names
        .iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(n, files)| format!("{n}: {}", files.join(", ")))
        .collect();
    assert!(shared.is_empty(), "{} names are claimed by more than one type:\n{}", shared.len(), shared.join("\n"));
}

#[test]
fn no_arrow_runs_against_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&src);
    let g = arrows(&mods);
    assert!(g.len() > 50, "the reader found only {} files", g.len());
    // The reader sees the arrows it must: a known one of each kind.
    let sees = |from: &[&str], to: &[&str]| {
        let from: ModPath = from.iter().map(|s| (*s).to_owned()).collect();
        let to: ModPath = to.iter().map(|s| (*s).to_owned()).collect();
        g.get(&from).is_some_and(|t| t.contains(&to))
    };
    assert!(sees(&["cli"], &["app"]), "cli → app not seen");
    assert!(sees(&["push", "actions"], &["org", "caller"]), "push::actions → org::caller not seen");

    let mut problems = Vec::new();
    for (from, tos) in &g {
        for to in tos {
            if let Some(why) = refused(from, to) {
                problems.push(format!("{} → {}: {why}", show(from), show(to)));
            }
        }
    }
    for c in circles(&g) {
        let rooms: BTreeSet<&str> = c.iter().map(|m| room(m)).collect();
        if rooms.len() > 1 {
            let names: Vec<String> = c.iter().map(|m| show(m)).collect();
            problems.push(format!("an import circle joins {rooms:?}: {}", names.join(", ")));
        }
    }
    assert!(problems.is_empty(), "{} arrows against the layers:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_reader_understands_use_trees() {
    let t = tokens("use crate::org::{self, Role, store::{User as U, *}};\nlet x = 'a'; // crate::web\n");
    let mut i = 1;
    let mut out = Vec::new();
    use_tree(&t, &mut i, &[], &mut out);
    let got: Vec<(String, Option<String>)> = out.into_iter().map(|u| (u.path.join("::"), u.alias)).collect();
    assert_eq!(
        got,
        vec![
            ("crate::org".to_owned(), Some("org".to_owned())),
            ("crate::org::Role".to_owned(), Some("Role".to_owned())),
            ("crate::org::store::User".to_owned(), Some("U".to_owned())),
            ("crate::org::store".to_owned(), None),
        ]
    );
    assert!(!t.contains(&Tok::Ident("web".to_owned())), "comments are skipped");
    let here: ModPath = vec!["push".into(), "store".into(), "inbox".into()];
    assert_eq!(
        absolute(&here, &["super".into(), "super".into(), "Kind".into()]),
        Some(vec!["push".into(), "Kind".into()])
    );
    assert!(refused(&["web".into(), "layout".into()], &["campaign".into(), "store".into()]).is_some());
    assert_eq!(refused(&["web".into(), "session".into()], &["org".into(), "caller".into()]), None);
    assert!(refused(&["push".into(), "store".into(), "inbox".into()], &["web".into()]).is_some());
    assert!(refused(&["hazard".into(), "pages".into()], &["hazard".into(), "api".into()]).is_some());
}
