//! Near-duplicate passages on a page of hits, grouped under the best-ranked
//! one. Pure: works on folded words.
//!
//! Two passages are near-duplicates when their word sets overlap by at
//! least [`MIN_JACCARD`] (templated lines such as "… lists X among its
//! sources", which differ in a name or two), or, under [`MIN_WORDS`] words,
//! when their words are the same.

use std::hash::Hash;

use rustc_hash::FxHashMap;

/// Least Jaccard overlap of two passages' word sets for them to be one
/// group.
pub(crate) const MIN_JACCARD: f64 = 0.7;
/// Passages shorter than this must be word for word the same to group.
const MIN_WORDS: usize = 5;

/// Groups `passages` (each its folded words, best-ranked first): for each
/// group in rank order, its leader and the passages like it. A passage joins
/// the first group whose leader is like it.
///
/// Comparing every passage with every leader costs a set intersection per
/// pair, which on a page of 100 long passages was most of the search. So
/// candidates come from a prefix filter (Bayardo et al., "Scaling up all
/// pairs similarity search"): with the words of every set in one global
/// order, two sets whose Jaccard overlap is at least `t` share a word among
/// the first `n - floor(t n) + 1` of each. The order is rarest on the page
/// first, so a prefix holds the words few other passages have. Only leaders
/// sharing a prefix word are compared, in rank order, so the groups are the
/// ones the plain pairwise scan finds.
///
/// A word is anything comparable: the folded text, or a page's id for it.
pub(crate) fn group<W: Copy + Eq + Hash>(passages: &[Vec<W>]) -> Vec<(usize, Vec<usize>)> {
    let mut ids: FxHashMap<W, u32> = FxHashMap::default();
    let dense: Vec<Vec<u32>> = passages
        .iter()
        .map(|words| {
            words
                .iter()
                .map(|&w| {
                    let next = ids.len() as u32;
                    *ids.entry(w).or_insert(next)
                })
                .collect()
        })
        .collect();
    group_ids(&dense, ids.len())
}

/// [`group`] for words given as dense ids below `n` (the highlighter's ids
/// of a page's words), so no word is hashed again.
pub(crate) fn group_ids(passages: &[Vec<u32>], n: usize) -> Vec<(usize, Vec<usize>)> {
    // `counts[id]` is how many passages have the word, and the last
    // passage counted (so a word repeated in a passage counts once).
    let mut counts: Vec<(u32, usize)> = vec![(0, usize::MAX); n];
    let distinct: Vec<Vec<u32>> = passages
        .iter()
        .enumerate()
        .map(|(i, words)| {
            let mut set = Vec::with_capacity(words.len());
            for &id in words {
                let count = &mut counts[id as usize];
                if count.1 != i {
                    *count = (count.0 + 1, i);
                    set.push(id);
                }
            }
            set
        })
        .collect();
    // Each set sorted in the global order: page frequency, then id, packed
    // in one integer.
    let sets: Vec<Vec<u64>> = distinct
        .into_iter()
        .map(|set| {
            let mut keys: Vec<u64> = set
                .into_iter()
                .map(|id| (u64::from(counts[id as usize].0) << 32) | u64::from(id))
                .collect();
            keys.sort_unstable();
            keys
        })
        .collect();
    let prefix = |i: usize| {
        let n = sets[i].len();
        let keep = (MIN_JACCARD * n as f64).floor() as usize;
        &sets[i][..(n - keep + 1).min(n)]
    };
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    // For each word, the groups whose leader has it in its prefix; leaders
    // without words are found by `empty`.
    let mut by_word: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    let mut empty: Vec<usize> = Vec::new();
    let mut candidates: Vec<usize> = Vec::new();
    for i in 0..passages.len() {
        candidates.clear();
        if sets[i].is_empty() {
            candidates.extend_from_slice(&empty);
        }
        for w in prefix(i) {
            if let Some(groups) = by_word.get(w) {
                candidates.extend_from_slice(groups);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        match candidates
            .iter()
            .find(|&&g| alike(passages, &sets, out[g].0, i))
        {
            Some(&g) => out[g].1.push(i),
            None => {
                let g = out.len();
                out.push((i, Vec::new()));
                if sets[i].is_empty() {
                    empty.push(g);
                }
                for w in prefix(i) {
                    by_word.entry(*w).or_default().push(g);
                }
            }
        }
    }
    out
}

/// Whether passages `a` and `b` are near-duplicates (see the module
/// comment); `sets` are their distinct words, sorted.
fn alike(passages: &[Vec<u32>], sets: &[Vec<u64>], a: usize, b: usize) -> bool {
    if passages[a].len() < MIN_WORDS || passages[b].len() < MIN_WORDS {
        return passages[a] == passages[b];
    }
    let (na, nb) = (sets[a].len(), sets[b].len());
    // The overlap is at most the smaller set, the union at least the larger.
    if (na.min(nb) as f64) < MIN_JACCARD * na.max(nb) as f64 {
        return false;
    }
    // inter / (na + nb - inter) >= t  <=>  inter >= t (na + nb) / (1 + t);
    // rounded down, so float error can only make the early exit rarer (the
    // ratio below decides).
    let need = (MIN_JACCARD * (na + nb) as f64 / (1.0 + MIN_JACCARD)).floor() as usize;
    let Some(inter) = overlap_of_at_least(&sets[a], &sets[b], need) else {
        return false;
    };
    let union = na + nb - inter;
    union > 0 && inter as f64 / union as f64 >= MIN_JACCARD
}

/// How many elements two sorted, deduplicated sets share, or `None` as
/// soon as fewer than `need` can be shared (most candidate pairs fail
/// early: one set's rarest words are not in the other).
fn overlap_of_at_least(a: &[u64], b: &[u64], need: usize) -> Option<usize> {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if n + (a.len() - i).min(b.len() - j) < need {
            return None;
        }
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (n >= need).then_some(n)
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

    /// The plain pairwise scan that [`group`]'s prefix filter must agree
    /// with.
    fn reference(passages: &[Vec<&str>]) -> Vec<(usize, Vec<usize>)> {
        use std::collections::HashSet;
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

    proptest::proptest! {
        /// Pages of passages drawn from a small vocabulary (so overlaps
        /// near the threshold are common), some of them copies of another
        /// with a few words changed, group as the pairwise scan groups them.
        #[test]
        fn the_prefix_filter_finds_the_pairwise_groups(
            base in proptest::collection::vec(
                proptest::collection::vec(0usize..24, 0..30), 1..12),
            edits in proptest::collection::vec(
                (0usize..12, proptest::collection::vec((0usize..30, 0usize..24), 0..6)), 0..12),
        ) {
            const VOCAB: [&str; 24] = [
                "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l",
                "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x",
            ];
            let mut pages: Vec<Vec<&str>> = base
                .iter()
                .map(|p| p.iter().map(|&w| VOCAB[w]).collect())
                .collect();
            for (from, changes) in &edits {
                let mut copy = pages[from % pages.len()].clone();
                for &(at, w) in changes {
                    if copy.is_empty() {
                        copy.push(VOCAB[w]);
                    } else {
                        let at = at % copy.len();
                        copy[at] = VOCAB[w];
                    }
                }
                pages.push(copy);
            }
            proptest::prop_assert_eq!(group(&pages), reference(&pages));
        }
    }
}
