//! Repository access: opening, identity, owns-globs and fingerprints.

pub mod fingerprint;
pub mod history;
pub mod owns;
pub mod repo;
pub mod trailers;
pub mod treediff;
