//! Repository access: opening, identity, owns-globs and fingerprints.

pub mod config_params;
pub mod fingerprint;
pub mod history;
pub mod owns;
pub mod ref_lock;
pub mod repo;
pub mod trailers;
pub mod treediff;
