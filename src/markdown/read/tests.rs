//! Unit tests of the reader, on strings.
