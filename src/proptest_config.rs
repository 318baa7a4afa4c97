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
