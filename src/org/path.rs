//! Region paths: a region's place in the tree is a materialised path such as
//! `/22/2201/220102/`, so a subtree is one prefix and every level a fixed length.

/// The region paths from the province down to `path` itself (a stored path: `/` first and after
/// every segment), as slices of it: every total an approved activity at `path` adds to.
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices().skip(1).filter(|&(_, c)| c == '/').map(move |(i, _)| &path[..=i])
}

/// [`ancestors`], owned.
pub fn ancestor_paths(path: &str) -> Vec<String> {
    ancestors(path).map(str::to_owned).collect()
}

/// The region code a path segment stands for: the province's and the prefectures' segments are
/// their codes shortened (`22` is 220000, `2201` is 220100); deeper ones are the code itself.
pub fn code_of_segment(segment: &str) -> String {
    format!("{segment:0<6}")
}

/// Whether two regions overlap: one lies inside the other (or they are the same).
pub fn overlap(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The code of the region at `path` (its last segment).
pub fn code_of(path: &str) -> Option<String> {
    path.trim_end_matches('/').rsplit('/').next().filter(|s| !s.is_empty()).map(code_of_segment)
}

/// The length of the paths one level below a region at `level` (0 province … 3 township): the
/// prefix that groups records by the region's direct subdivisions.
pub fn child_path_len(level: i16) -> i64 {
    match level {
        0 => 9,
        1 => 16,
        2 => 26,
        _ => 39,
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_wrap)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_and_child_prefixes() {
        assert_eq!(ancestor_paths("/22/2201/220102/"), vec!["/22/", "/22/2201/", "/22/2201/220102/"]);
        for path in ["/22/", "/22/2201/220102/", "/22/2224/222401/222401001/"] {
            // The same as walking the path segment by segment.
            let mut acc = String::from("/");
            let walked: Vec<String> = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    acc.push_str(s);
                    acc.push('/');
                    acc.clone()
                })
                .collect();
            assert_eq!(ancestors(path).collect::<Vec<_>>(), walked);
        }
        assert_eq!("/22/2201/".len() as i64, child_path_len(0));
        assert_eq!("/22/2201/220102/".len() as i64, child_path_len(1));
        assert_eq!("/22/2201/220102/220102001/".len() as i64, child_path_len(2));
        assert_eq!("/22/2201/220102/220102001/220102001001/".len() as i64, child_path_len(3));
    }

    #[test]
    fn a_path_names_its_region_s_code() {
        assert_eq!(code_of("/22/").as_deref(), Some("220000"));
        assert_eq!(code_of("/22/2201/").as_deref(), Some("220100"));
        assert_eq!(code_of("/22/2201/220102/").as_deref(), Some("220102"));
        assert_eq!(code_of("/22/2201/220102/220102001/").as_deref(), Some("220102001"));
        assert_eq!(code_of("/"), None);
    }
}
