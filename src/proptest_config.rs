//! The one configuration of the property tests: seeded, so every run
//! tries the same cases and a failure reproduces; no files written.

use proptest::test_runner::{Config, RngSeed};

pub fn seeded(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x6c65_6467_6572),
        ..Config::default()
    }
}

/// A seeded stream of small numbers (`next(n)` is below `n`), for tests
/// that shuffle plain vectors without a property-test runner.
pub fn numbers(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut x = seed;
    move |n| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % n
    }
}
