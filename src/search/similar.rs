//! Near-duplicate passages on a page of hits, grouped under the best-ranked
//! one. Pure: works on folded words.
//!
//! Two passages are near-duplicates when their word sets overlap by at
//! least [`MIN_JACCARD`] (templated lines such as "… lists X among its
//! sources", which differ in a name or two), or, under [`MIN_WORDS`] words,
//! when their words are the same.

use std::collections::HashSet;

/// Least Jaccard overlap of two passages' word sets for them to be one
/// group.
pub(crate) const MIN_JACCARD: f64 = 0.7;
/// Passages shorter than this must be word for word the same to group.
const MIN_WORDS: usize = 5;

/// Groups `passages` (each its folded words, best-ranked first): for each
/// group in rank order, its leader and the passages like it.
pub(crate) fn group(passages: &[Vec<&str>]) -> Vec<(usize, Vec<usize>)> {
    let sets: Vec<HashSet<&str>> = passages
        .iter()
        .map(|w| w.iter().copied().collect())
        .collect();
    let alike = |a: usize, b: usize| {
        if passages[a].len() < MIN_WORDS || passages[b].len() < MIN_WORDS {
            return passages[a] == passages[b];
        }
        let inter = sets[a].intersection(&sets[b]).count();
        let union = sets[a].len() + sets[b].len() - inter;
        union > 0 && inter as f64 / union as f64 >= MIN_JACCARD
    };
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in 0..passages.len() {
        match out.iter_mut().find(|(lead, _)| alike(*lead, i)) {
            Some((_, more)) => more.push(i),
            None => out.push((i, Vec::new())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    #[test]
    fn templated_lines_group_under_the_best_ranked() {
        let p = [
            words("the article lists arxiv org among its sources it does not tie arxiv org to any statement"),
            words("japan is investing billions in homegrown ai and robotics"),
            words("the article lists asia nikkei com among its sources it does not tie asia nikkei com to any statement"),
            words("the article lists x com among its sources it does not tie x com to any statement"),
        ];
        assert_eq!(group(&p), vec![(0, vec![2, 3]), (1, vec![])]);
    }

    #[test]
    fn distinct_passages_and_short_lines_stay_apart() {
        let p = [
            words("sources"),
            words("sources insiderpaper com"),
            words("japan has approved about 6 3 billion for a homegrown sovereign ai model"),
            words("japan hopes this will protect sensitive factory and sensor data"),
            words("sources"),
        ];
        assert_eq!(
            group(&p),
            vec![(0, vec![4]), (1, vec![]), (2, vec![]), (3, vec![])]
        );
    }
}
