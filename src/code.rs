//! Short codes people read aloud or type from paper: a hazard report's tracking code, an event
//! ticket's door code. Eight letters from digits and capitals without 0, O, 1 and I (40 random
//! bits), shown as `K7PM-3QXA`, typed in any case, with spaces or the dash.

/// The letters of a code: digits and capitals without 0, O, 1 and I, so that a code can be read
/// over the phone.
const LETTERS: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// How long a code is (40 random bits; failed look-ups are budgeted per address).
pub const LEN: usize = 8;

/// A new code, such as `K7PM3QXA`.
pub fn new() -> String {
    let mut rng = rand::rng();
    (0..LEN).map(|_| char::from(LETTERS[rand::Rng::random_range(&mut rng, 0..LETTERS.len())])).collect()
}

/// A code as typed or read out (`k7pm 3qxa`, `K7PM-3QXA`), as it is stored.
pub fn typed(typed: &str) -> String {
    let plain: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if plain.chars().count() == LEN { plain.to_ascii_uppercase() } else { plain }
}

/// A code as a page shows it: `K7PM-3QXA`.
pub fn shown(code: &str) -> String {
    if code.len() == LEN && code.is_ascii() { format!("{}-{}", &code[..4], &code[4..]) } else { code.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_aloud_and_typed_back() {
        let c = new();
        assert_eq!(c.len(), LEN);
        assert!(c.bytes().all(|b| LETTERS.contains(&b)), "{c}");
        assert_eq!(typed(&shown(&c).to_lowercase()), c);
        assert_eq!(typed(" k7pm 3qxa "), "K7PM3QXA");
        assert_eq!(shown("K7PM3QXA"), "K7PM-3QXA");
        assert_eq!(typed("short"), "short");
    }
}
