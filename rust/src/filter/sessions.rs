//! The pending data of multi-line sessions (`F-MLFID`), with fail2ban's
//! expiry rules.
//!
//! fail2ban keeps them in a `Utils.Cache(maxCount=100, maxTime=5*60)`:
//! an entry lives `max_time` seconds from when it was stored (reading or
//! changing it does not extend it), and storing into a full cache first
//! drops the oldest entries — expired or not — until one still valid has
//! gone and there is room. Times are the wall clock of the caller.
//!
//! Invariant: `order` holds exactly the keys of `entries`, oldest first,
//! each once (by the sequence number stored with the entry).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use super::fields::Fields;

/// rustc's FxHash over 8-byte words. Each session line looks its id up two
/// or three times, and SipHash of a 30-byte id was most of a lookup; its
/// resistance to crafted collisions buys nothing here: the cache holds at
/// most `max_count` (100) ids, so a collision costs at most that many
/// comparisons.
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            self.add(u64::from_le_bytes(w));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            // (folded byte by byte: a copy of a variable length is a
            // `memcpy` call, which cost more than these few steps)
            let w = rest
                .iter()
                .rev()
                .fold(0u64, |w, &b| (w << 8) | u64::from(b));
            self.add(w);
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

struct Entry {
    seq: u64,
    expires: f64,
    fields: Fields,
}

/// A bounded map from session id to its pending failure data.
pub struct SessionCache {
    max_count: usize,
    max_time: f64,
    entries: HashMap<String, Entry, BuildHasherDefault<FxHasher>>,
    order: BTreeMap<u64, String>,
    next_seq: u64,
}

impl SessionCache {
    pub fn new(max_count: usize, max_time: f64) -> Self {
        SessionCache {
            max_count,
            max_time,
            entries: HashMap::default(),
            order: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// fail2ban's sizes for `F-MLFID` sessions.
    pub fn for_sessions() -> Self {
        SessionCache::new(100, 300.0)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    /// The session's data, if stored and not expired at `now` (an expired
    /// entry is dropped).
    pub fn get_mut(&mut self, key: &str, now: f64) -> Option<&mut Fields> {
        let expired = self.entries.get(key)?.expires <= now;
        if expired {
            self.unset(key);
            return None;
        }
        self.entries.get_mut(key).map(|e| &mut e.fields)
    }

    /// Store `fields` under a key that is not stored (fail2ban only stores
    /// new sessions).
    pub fn set(&mut self, key: &str, fields: Fields, now: f64) {
        self.unset(key);
        if self.entries.len() >= self.max_count {
            while let Some((_, oldest)) = self.order.pop_first() {
                let gone = self.entries.remove(&oldest);
                let still_valid = gone.is_some_and(|e| e.expires > now);
                if still_valid && self.entries.len() < self.max_count {
                    break;
                }
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, key.to_owned());
        self.entries.insert(
            key.to_owned(),
            Entry {
                seq,
                expires: now + self.max_time,
                fields,
            },
        );
    }

    pub fn unset(&mut self, key: &str) {
        if let Some(entry) = self.entries.remove(key) {
            self.order.remove(&entry.seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::fields::{intern, keys, Value};

    fn data(tag: &str) -> Fields {
        let mut f = Fields::new();
        f.set(intern("tag"), Value::Str(tag.into()));
        f
    }

    #[test]
    fn entries_expire_from_when_they_were_stored() {
        let mut c = SessionCache::new(10, 300.0);
        c.set("a", data("a"), 1000.0);
        assert!(c.get_mut("a", 1299.0).is_some());
        assert!(c.get_mut("a", 1300.0).is_none());
        assert!(c.is_empty());
    }

    #[test]
    fn a_full_cache_drops_the_oldest_first() {
        let mut c = SessionCache::new(2, 300.0);
        c.set("a", data("a"), 0.0);
        c.set("b", data("b"), 1.0);
        c.set("c", data("c"), 2.0);
        assert!(c.get_mut("a", 3.0).is_none());
        assert!(c.get_mut("b", 3.0).is_some() && c.get_mut("c", 3.0).is_some());
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn expired_entries_do_not_count_as_the_one_dropped() {
        // "a" has expired, "b" has not: both go before "c" fits
        let mut c = SessionCache::new(2, 10.0);
        c.set("a", data("a"), 0.0);
        c.set("b", data("b"), 5.0);
        c.set("c", data("c"), 12.0);
        assert_eq!(c.len(), 1);
        assert!(c.get_mut("c", 12.0).is_some());
    }

    #[test]
    fn changes_through_get_mut_stay() {
        let mut c = SessionCache::for_sessions();
        c.set("s", data("x"), 0.0);
        c.get_mut("s", 1.0)
            .unwrap()
            .set(keys::USER, Value::Str("root".into()));
        assert!(c.get_mut("s", 2.0).unwrap().truthy(keys::USER));
    }
}
