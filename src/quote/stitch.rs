//! Stitched quotes: a quote made of verbatim pieces from different places,
//! joined as if they were one passage. Pure: works on folded words.
//!
//! The quote is covered with the fewest exact runs of source words
//! (dynamic programming over the longest run at each quote position, each
//! piece at least [`MIN_PIECE_WORDS`] words, an uncovered word costing
//! [`UNCOVERED_COST`] pieces). Runs that sit close together in one source,
//! in order, are one group: a single span with small edits, which the plain
//! alignment already explains. Only two or more groups make a stitch.

/// Fewest words a piece has: shorter runs ("of the") match anywhere.
pub(crate) const MIN_PIECE_WORDS: usize = 3;
/// Most words between two runs (in the quote or the source) that still
/// make them one group: a few edits, not a join.
const MERGE_GAP: usize = 8;
/// What leaving a quote word uncovered costs, in pieces: a word the writer
/// added is dearer than cutting a run in two.
const UNCOVERED_COST: usize = 2;

/// One group of a stitch: quote words `quote` stand for `source[at]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// Quote word range, `start..end`.
    pub quote: (usize, usize),
    /// Which source (index into the `sources` given).
    pub source: usize,
    /// Source word range, `start..end`.
    pub at: (usize, usize),
    /// How many of its quote words match source words exactly.
    pub equal: usize,
}

impl Group {
    /// Whether the quote words equal the source words exactly: every quote
    /// word matched, and no source word left between them.
    pub(crate) fn exact(&self) -> bool {
        let len = self.quote.1 - self.quote.0;
        self.equal == len && self.at.1 - self.at.0 == len
    }
}

/// The longest exact run of source words starting at each quote position:
/// `(length, source, source start)`, the first source winning ties.
fn longest_runs(quote: &[&str], sources: &[Vec<&str>]) -> Vec<(usize, usize, usize)> {
    let n = quote.len();
    let mut best = vec![(0usize, 0usize, 0usize); n];
    for (si, src) in sources.iter().enumerate() {
        let m = src.len();
        // `next[j]` is the run length at (i + 1, j); rows rolled backwards.
        let mut next = vec![0usize; m + 1];
        let mut cur = vec![0usize; m + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                cur[j] = if quote[i] == src[j] {
                    next[j + 1] + 1
                } else {
                    0
                };
                if cur[j] > best[i].0 {
                    best[i] = (cur[j], si, j);
                }
            }
            std::mem::swap(&mut next, &mut cur);
        }
    }
    best
}

/// Whether a quote of `quote_len` words can be stitched at all when its
/// best single span matches `single_equal` of them: a stitch needs two
/// pieces, and [`MIN_PIECE_WORDS`] more equal words than that span, out
/// of at most every word of the quote. When it cannot, a caller need not
/// look for sources to stitch from.
pub(crate) fn can_beat(quote_len: usize, single_equal: usize) -> bool {
    quote_len >= 2 * MIN_PIECE_WORDS && single_equal + MIN_PIECE_WORDS <= quote_len
}

/// The groups covering the quote, in quote order, when the quote is two or
/// more groups whose equal words outnumber `single_equal` (the best single
/// span's) by at least [`MIN_PIECE_WORDS`]; `None` otherwise.
pub(crate) fn stitch(
    quote: &[&str],
    sources: &[Vec<&str>],
    single_equal: usize,
) -> Option<Vec<Group>> {
    let n = quote.len();
    if !can_beat(n, single_equal) {
        return None;
    }
    let runs = longest_runs(quote, sources);
    // cost[i]: fewest pieces (plus uncovered words) covering quote[i..];
    // take[i]: the piece length chosen at i, 0 for "leave uncovered".
    let mut cost = vec![0usize; n + 1];
    let mut take = vec![0usize; n];
    for i in (0..n).rev() {
        cost[i] = UNCOVERED_COST + cost[i + 1];
        let longest = runs[i].0;
        for l in (MIN_PIECE_WORDS..=longest).rev() {
            if 1 + cost[i + l] < cost[i] {
                cost[i] = 1 + cost[i + l];
                take[i] = l;
            }
        }
    }
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < n {
        let l = take[i];
        if l == 0 {
            i += 1;
            continue;
        }
        let (_, s, j) = runs[i];
        pieces.push(Group {
            quote: (i, i + l),
            source: s,
            at: (j, j + l),
            equal: l,
        });
        i += l;
    }
    let mut groups: Vec<Group> = Vec::new();
    for p in pieces {
        match groups.last_mut() {
            Some(g)
                if g.source == p.source
                    && p.at.0 >= g.at.1
                    && p.at.0 - g.at.1 <= MERGE_GAP
                    && p.quote.0 - g.quote.1 <= MERGE_GAP =>
            {
                g.equal += p.equal;
                g.quote.1 = p.quote.1;
                g.at.1 = p.at.1;
            }
            _ => groups.push(p),
        }
    }
    absorb_gaps(quote, sources, &mut groups);
    let covered: usize = groups.iter().map(|g| g.quote.1 - g.quote.0).sum();
    let exact: usize = groups.iter().map(|g| g.equal).sum();
    let uncovered = n - covered;
    (groups.len() >= 2 && uncovered <= (n / 10).max(1) && exact >= single_equal + MIN_PIECE_WORDS)
        .then_some(groups)
}

/// Quote words left between groups (runs too short to be pieces, such as
/// `large corporations` for the source's `big corporations`) are taken into
/// the group before them when some of them continue its source in order
/// within a few words: that group then has an edit, not a loose word.
/// Words that continue nothing stay uncovered.
fn absorb_gaps(quote: &[&str], sources: &[Vec<&str>], groups: &mut [Group]) {
    for k in 0..groups.len() {
        let gap_end = groups.get(k + 1).map_or(quote.len(), |g| g.quote.0);
        let g = &mut groups[k];
        let gap = &quote[g.quote.1..gap_end];
        if gap.is_empty() {
            continue;
        }
        let src = &sources[g.source];
        let window_end = (g.at.1 + gap.len() + 2).min(src.len());
        // Greedy in-order matching of the gap's words to the source after
        // the group.
        let (mut next_s, mut last, mut found) = (g.at.1, None, 0);
        for (qi, w) in gap.iter().enumerate() {
            if let Some(j) = (next_s..window_end).find(|&j| src[j] == *w) {
                last = Some((qi, j));
                next_s = j + 1;
                found += 1;
            }
        }
        if let Some((qi, j)) = last {
            g.quote.1 += qi + 1;
            g.at.1 = j + 1;
            g.equal += found;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    #[test]
    fn two_sentences_from_two_places_are_two_exact_groups() {
        let a = words("the plan is framed as a response to the chip shortage of last year");
        let b = words("officials said robots would fill the gap left by an ageing workforce");
        let q = words("the plan is framed as a response robots would fill the gap left");
        let g = stitch(&q, &[a, b], 7).expect("a stitch");
        assert_eq!(
            g,
            vec![
                Group {
                    quote: (0, 7),
                    source: 0,
                    at: (0, 7),
                    equal: 7
                },
                Group {
                    quote: (7, 13),
                    source: 1,
                    at: (2, 8),
                    equal: 6
                },
            ]
        );
    }

    #[test]
    fn two_places_in_one_source_far_apart_are_a_stitch() {
        let s = words(
            "alpha beta gamma delta epsilon one two three four five six seven eight nine ten \
             zeta eta theta iota kappa",
        );
        let q = words("alpha beta gamma delta zeta eta theta iota");
        let g = stitch(&q, &[s], 4).expect("a stitch");
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].at, g[1].at), ((0, 4), (15, 19)));
    }

    #[test]
    fn a_changed_word_or_a_short_omission_is_one_group_not_a_stitch() {
        let s = words("japan tried grand tech projects before like the fifth generation effort");
        let changed =
            words("japan tried grand tech schemes before like the fifth generation effort");
        assert_eq!(stitch(&changed, std::slice::from_ref(&s), 10), None);
        let omitted = words("japan tried grand tech projects the fifth generation effort");
        assert_eq!(stitch(&omitted, std::slice::from_ref(&s), 9), None);
    }

    #[test]
    fn a_short_run_that_continues_a_piece_joins_it_as_an_edit() {
        let a = words("it still centers power in big corporations and ministries");
        let b = words("designed to compete with leading global models");
        let q =
            words("it still centers power in large corporations designed to compete with leading");
        let g = stitch(&q, &[a, b], 5).expect("a stitch");
        assert_eq!((g[0].quote, g[0].at, g[0].exact()), ((0, 7), (0, 7), false));
        assert_eq!((g[1].quote, g[1].exact()), ((7, 12), true));
    }

    #[test]
    fn a_quote_mostly_not_in_the_sources_is_no_stitch() {
        let s = words("the ministry said the budget would rise next year by a small amount");
        let q = words("critics argue the budget would rise while wages fall across every region");
        assert_eq!(stitch(&q, &[s], 4), None);
    }

    #[test]
    fn a_stitch_must_explain_more_than_the_single_span() {
        let a = words("one two three four five six");
        let b = words("seven eight nine ten eleven twelve");
        let q = words("one two three four five six seven eight nine");
        // The best single span already explains six words; the stitch nine.
        assert!(stitch(&q, &[a.clone(), b.clone()], 6).is_some());
        assert_eq!(stitch(&q, &[a, b], 7), None);
    }

    #[test]
    fn pieces_shorter_than_the_minimum_are_words_left_uncovered() {
        let a = words("one two three four five six");
        let b = words("seven eight nine ten eleven twelve");
        // "and" is in neither source: one uncovered word between pieces.
        let q = words("one two three four and nine ten eleven twelve");
        let g = stitch(&q, &[a, b], 4).expect("a stitch");
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].quote, g[1].quote), ((0, 4), (5, 9)));
    }

    proptest::proptest! {
        /// `can_beat`'s early answer never changes the result: with any
        /// `single_equal`, a stitch is the one found without the single
        /// span to beat, kept when it beats that span, because its equal
        /// words never exceed the quote's.
        #[test]
        fn a_stitch_is_found_only_where_one_can_beat_the_single_span(
            sources in proptest::collection::vec(proptest::collection::vec(0u8..12, 4..30), 1..4),
            // The quote: runs cut from the sources (source, start, length),
            // each followed by a word of its own or none.
            cuts in proptest::collection::vec((0usize..4, 0usize..30, 1usize..10, 0u8..16), 1..5),
            single_equal in 0usize..24,
        ) {
            const WORDS: [&str; 16] = [
                "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p",
            ];
            let s: Vec<Vec<&str>> = sources
                .iter()
                .map(|s| s.iter().map(|&w| WORDS[w as usize]).collect())
                .collect();
            let mut q: Vec<&str> = Vec::new();
            for &(src, start, len, own) in &cuts {
                let src = &s[src % s.len()];
                let start = start % src.len();
                q.extend(&src[start..(start + len).min(src.len())]);
                if own >= 12 {
                    q.push(WORDS[own as usize]);
                }
            }
            let exact = |g: &Vec<Group>| g.iter().map(|g| g.equal).sum::<usize>();
            let free = stitch(&q, &s, 0);
            if let Some(groups) = &free {
                proptest::prop_assert!(exact(groups) <= q.len());
            }
            let want = free.filter(|g| exact(g) >= single_equal + MIN_PIECE_WORDS);
            proptest::prop_assert_eq!(stitch(&q, &s, single_equal), want);
        }
    }
}
