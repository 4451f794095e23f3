//! Benchmark commands over the public data in `../shared/bench/`. They take
//! the data's path as an argument and print figures; nothing here runs in
//! the test suite except on tiny generated inputs.

pub(crate) mod answers;
pub(crate) mod embed;
pub(crate) mod generate;
pub(crate) mod quotes;
pub(crate) mod scifact;
pub(crate) mod squad;

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
