//! Region paths: a region's place in the tree is a materialised path such as
//! `/22/2201/220102/`, so a subtree is one prefix and every level a fixed length.

/// The region paths from the province down to `path` itself: every total an approved activity
/// at `path` adds to.
pub fn ancestor_paths(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut acc = String::from("/");
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        acc.push_str(segment);
        acc.push('/');
        out.push(acc.clone());
    }
    out
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
        assert_eq!("/22/2201/".len() as i64, child_path_len(0));
        assert_eq!("/22/2201/220102/".len() as i64, child_path_len(1));
        assert_eq!("/22/2201/220102/220102001/".len() as i64, child_path_len(2));
        assert_eq!("/22/2201/220102/220102001/220102001001/".len() as i64, child_path_len(3));
    }
}
