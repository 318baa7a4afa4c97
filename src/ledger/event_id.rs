//! An event's id as the fold keeps it. Every writer makes ids of 32
//! lower-case hex digits (SPEC 2.2); those are held as their 16 bytes, in
//! place, and any other text (a hand-written id) as itself. A cold read
//! of 200,000 events then allocates, compares and hashes no id text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum EventId {
    /// The 16 bytes that 32 lower-case hex digits spell.
    Hex([u8; 16]),
    /// Any other text: never 32 lower-case hex digits.
    Text(Box<str>),
}

impl EventId {
    pub fn new(id: &str) -> EventId {
        let lower = id.bytes().all(|b| !b.is_ascii_uppercase());
        match crate::hex::decode::<16>(id) {
            Some(bytes) if lower => EventId::Hex(bytes),
            _ => EventId::Text(id.into()),
        }
    }

    /// The id as a number ([`crate::ledger::fold::id_key`] of its text).
    pub fn key(&self) -> u128 {
        match self {
            EventId::Hex(bytes) => u128::from_be_bytes(*bytes),
            EventId::Text(text) => crate::ledger::fold::id_key(text),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, EventId::Text(t) if t.is_empty())
    }

    /// How this id sorts against the id spelled `text`.
    pub fn cmp_text(&self, text: &str) -> Ordering {
        self.with_text(|t| t.cmp(text.as_bytes()))
    }

    /// Calls `f` with the id's text, spelled on the stack when it is hex.
    fn with_text<T>(&self, f: impl FnOnce(&[u8]) -> T) -> T {
        match self {
            EventId::Hex(bytes) => f(&spell(bytes)),
            EventId::Text(text) => f(text.as_bytes()),
        }
    }
}

/// 16 bytes as 32 lower-case hex digits, without allocating.
fn spell(bytes: &[u8; 16]) -> [u8; 32] {
    let mut out = [0u8; 32];
    crate::hex::encode_into(bytes, &mut out);
    out
}

/// The order of the ids' texts (SPEC 2.3 breaks ties by id): lower-case
/// hex digits sort as the bytes they spell.
impl Ord for EventId {
    fn cmp(&self, other: &EventId) -> Ordering {
        match (self, other) {
            (EventId::Hex(a), EventId::Hex(b)) => a.cmp(b),
            (EventId::Text(a), EventId::Text(b)) => a.cmp(b),
            _ => self.with_text(|a| other.with_text(|b| a.cmp(b))),
        }
    }
}

impl PartialOrd for EventId {
    fn partial_cmp(&self, other: &EventId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Spelled from ASCII digits: always UTF-8.
            EventId::Hex(bytes) => f.write_str(std::str::from_utf8(&spell(bytes)).unwrap_or("")),
            EventId::Text(text) => f.write_str(text),
        }
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

/// Stored as its text, as the index file always stored it.
impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.with_text(|t| s.serialize_str(std::str::from_utf8(t).unwrap_or("")))
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EventId, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = EventId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event id")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<EventId, E> {
                Ok(EventId::new(v))
            }
        }
        d.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::EventId;
    use proptest::prelude::*;

    #[test]
    fn only_lower_case_hex_of_32_digits_is_held_as_bytes() {
        let hex = EventId::new("0000000000000000000000000001730a");
        assert!(matches!(hex, EventId::Hex(_)));
        assert_eq!(hex.to_string(), "0000000000000000000000000001730a");
        assert_eq!(hex.key(), 0x1730a);
        for text in [
            "0000000000000000000000000001730A",
            "hand-written",
            "",
            "abc",
        ] {
            let id = EventId::new(text);
            assert!(matches!(id, EventId::Text(_)), "{text}");
            assert_eq!(id.to_string(), text);
            assert_eq!(id.key(), crate::ledger::fold::id_key(text));
        }
        assert!(EventId::new("").is_empty());
        assert!(!hex.is_empty());
    }

    fn an_id() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9a-f]{32}",
            "[0-9a-fA-F]{32}",
            "[0-9a-g]{30,33}",
            ".{0,40}",
        ]
    }

    proptest! {
        #![proptest_config(crate::proptest_config::seeded(2000))]

        /// Ids compare, hash and read back as their texts do.
        #[test]
        fn an_id_orders_and_reads_back_as_its_text(a in an_id(), b in an_id()) {
            let (x, y) = (EventId::new(&a), EventId::new(&b));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
            prop_assert_eq!(x == y, a == b);
            prop_assert_eq!(x.to_string(), a.clone());
            let stored = postcard::to_allocvec(&x).unwrap();
            prop_assert_eq!(postcard::from_bytes::<EventId>(&stored).unwrap(), x);
        }
    }
}
