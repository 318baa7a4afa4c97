//! Serving the board over HTTP on this machine (`git ledger serve`): no
//! async runtime and no framework, as it answers a browser or two with
//! one page and one tiny endpoint.

pub mod http;
