//! What CI shows of the ledger: the job summary and annotations of
//! `check`, the JUnit report of `verify --junit`, and the escaping that
//! keeps ledger text from other clones inert in each.

pub mod escape;
pub mod junit;
pub mod summary;
