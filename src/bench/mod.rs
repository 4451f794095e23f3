//! Benchmark commands over the public data in `../shared/bench/`. They take
//! the data's path as an argument and print figures; nothing here runs in
//! the test suite except on tiny generated inputs.

pub(crate) mod answers;
pub(crate) mod embed;
pub(crate) mod generate;
pub(crate) mod quotes;
pub(crate) mod scifact;
pub(crate) mod squad;
pub(crate) mod squad2;

/// A small deterministic PRNG (xorshift64*), so benchmark sets are
/// reproducible from a seed without another dependency.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// Seeds the generator (0 is replaced by a fixed odd constant).
    pub(crate) fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// How many passages of each kind a benchmark corpus has: a caption or
/// fact line is never an answer, so a benchmark says how many it lost.
pub(crate) fn kinds_line(docs: &[crate::model::Document]) -> String {
    use crate::model::PassageKind;
    let mut counts = [0usize; 4];
    for p in docs.iter().flat_map(|d| d.passages()) {
        counts[match p.kind {
            PassageKind::Paragraph => 0,
            PassageKind::Item => 1,
            PassageKind::Caption => 2,
            PassageKind::Fact => 3,
        }] += 1;
    }
    format!(
        "passages by kind: {} paragraphs, {} items, {} captions, {} fact lines",
        counts[0], counts[1], counts[2], counts[3]
    )
}
