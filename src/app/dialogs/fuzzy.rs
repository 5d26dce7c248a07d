//! The palette's fuzzy matcher (nucleo's, as in helix).

/// The palette's matcher: nucleo's (helix's) fuzzy matching, each word of
/// the query matched on its own, case-insensitive; consecutive and
/// word-start matches score higher. No special syntax: `!` or `^` in a
/// query are just characters.
pub struct Fuzzy {
    matcher: nucleo_matcher::Matcher,
    pattern: nucleo_matcher::pattern::Pattern,
    buf: Vec<char>,
}

impl Fuzzy {
    pub fn new(query: &str) -> Fuzzy {
        use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
        Fuzzy {
            matcher: nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT),
            pattern: Pattern::new(
                query,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            ),
            buf: Vec::new(),
        }
    }

    /// `None` when `text` does not match; every text matches an empty query.
    pub fn score(&mut self, text: &str) -> Option<i64> {
        if self.pattern.atoms.is_empty() {
            return Some(0);
        }
        let haystack = nucleo_matcher::Utf32Str::new(text, &mut self.buf);
        self.pattern
            .score(haystack, &mut self.matcher)
            .map(i64::from)
    }
}

/// [`Fuzzy`] for one text.
pub fn fuzzy_score(text: &str, query: &str) -> Option<i64> {
    Fuzzy::new(query).score(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_prefers_consecutive_and_word_starts() {
        assert!(fuzzy_score("backup redis-nightly", "bkp").is_some());
        assert!(fuzzy_score("backup redis-nightly", "xyz").is_none());
        let a = fuzzy_score("run flush-cache on api", "flush").unwrap();
        let b = fuzzy_score("run fetch-logs-using-history on api", "flush").unwrap();
        assert!(a > b, "{a} <= {b}");
        assert_eq!(fuzzy_score("anything", ""), Some(0));
        assert_eq!(fuzzy_score("anything", "   "), Some(0));
        // Words match on their own, in any order; `!` is just a character.
        assert!(fuzzy_score("run flush-cache on api", "api flush").is_some());
        assert!(fuzzy_score("restart api", "!api").is_none());
    }
}
