//! fail2ban's failure dict, as the finishing stage builds it.
//!
//! A failure's data is a Python dict in fail2ban: the regex groups, then the
//! bookkeeping of multi-line sessions (`matches`, `nofail-matches`, `users`,
//! `mlfpending`, …). [`Fields`] keeps the same things with a dict's rules —
//! insertion order, assignment to an existing key keeps its place, `pop`
//! removes — so that what reaches Python is the dict fail2ban would hold, in
//! the same order. [`Value::truthy`] is Python's truth test, which the
//! session rules rely on (an empty group counts as absent).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use super::date_cut::DateParts;
use crate::exact::GroupText;

/// A key's name, at an address of its own for the life of the process
/// (see [`Key`]).
pub struct KeyName {
    name: &'static str,
    /// Whether the name is written in a JSON string as it is.
    json_plain: bool,
    /// The key's bit in a dict's [`Fields::present`] (one of 64: keys may
    /// share one, which only costs a walk that finds nothing).
    bit: u64,
}

impl KeyName {
    const fn new(name: &'static str, bit: u32) -> KeyName {
        // (a loop, not an iterator: this runs in constants)
        let bytes = name.as_bytes();
        let mut i = 0;
        let mut json_plain = true;
        while i < bytes.len() {
            let b = bytes[i];
            json_plain &= b >= 0x20 && b != b'"' && b != b'\\';
            i += 1;
        }
        KeyName {
            name,
            json_plain,
            bit: 1 << (bit % 64),
        }
    }
}

/// A key of the failure dict: a group name of the filter's sets or one of
/// the session rules' keys. [`intern`] and the constants of [`keys`] are
/// the only ways to make one, and both give one [`KeyName`] per name, so
/// two keys are equal exactly when they point to the same name: a key
/// compares, hashes and copies as one pointer.
///
/// Why interned rather than a shared, counted string: every dict holds a
/// copy of each key, and the regex tool's worker makes the dicts that its
/// main thread drops. The key's reference count was then a cache line both
/// threads kept writing: under perf, the `lock inc` of that count was three
/// quarters of the time spent copying a dict.
///
/// Why compared by address rather than by name: the session rules look
/// keys up a dozen times per failure line in dicts of a dozen keys, and
/// merging a line's groups into its session's looks up each of them. By
/// name, every probe of a key of the same length was a `memcmp` call
/// (`ip4`, `ip6`, `dns` and `fid` are all three bytes long).
#[derive(Clone, Copy)]
pub struct Key(&'static KeyName);

impl Key {
    pub fn as_str(self) -> &'static str {
        self.0.name
    }

    /// Whether the name is written in a JSON string as it is (group names
    /// are identifiers: always), so the report can skip escaping it.
    pub fn json_plain(self) -> bool {
        self.0.json_plain
    }

    fn bit(self) -> u64 {
        self.0.bit
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state);
    }
}

/// By name (tests and assertions; lookups compare keys).
impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The keys that the finishing stage and the report look up by name: the
/// session rules' own keys and the groups they read.
pub mod keys {
    use super::{Key, KeyName};

    // For each name: a `static` (one address, which is what a key is) and a
    // `const` key pointing to it, for use in patterns and expressions. Each
    // has a bit of its own; the interned group names share the others.
    macro_rules! known_keys {
        ($($key:ident = $name:literal, $bit:literal;)*) => {
            mod names {
                use super::KeyName;
                $(pub static $key: KeyName = KeyName::new($name, $bit);)*
            }
            $(pub const $key: Key = Key(&names::$key);)*
            /// Every key above, for [`super::intern`].
            pub(super) const ALL: &[Key] = &[$($key),*];
        };
    }

    known_keys! {
        MATCHES = "matches", 0;
        NOFAIL_MATCHES = "nofail-matches", 1;
        USERS = "users", 2;
        MLFPENDING = "mlfpending", 3;
        IP = "ip", 4;
        NOFAIL = "nofail", 5;
        MLFID = "mlfid", 6;
        MLFGAINED = "mlfgained", 7;
        MLFFORGET = "mlfforget", 8;
        FID = "fid", 9;
        IP4 = "ip4", 10;
        IP6 = "ip6", 11;
        DNS = "dns", 12;
        CIDR = "cidr", 13;
        USER = "user", 14;
        CONTENT = "content", 15;
    }
}

/// The interned key for `name`. Each distinct name not in [`keys`] is
/// leaked once; names come from filter definitions (group names,
/// `alt_`/`tuple_` targets), a small set however often filters are
/// reloaded.
pub fn intern(name: &str) -> Key {
    if let Some(known) = keys::ALL.iter().find(|k| k.as_str() == name) {
        return *known;
    }
    static NAMES: LazyLock<Mutex<HashMap<&'static str, Key>>> = LazyLock::new(Mutex::default);
    // (a panic elsewhere cannot leave the map half-changed: insert is one step)
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(key) = names.get(name) {
        return *key;
    }
    let text: &'static str = Box::leak(name.to_owned().into_boxed_str());
    // (the first bits are the known keys' own; group names take the next
    // ones, wrapping around after 64)
    let bit = (keys::ALL.len() + names.len()) as u32;
    let key = Key(Box::leak(Box::new(KeyName::new(text, bit))));
    names.insert(text, key);
    key
}

/// One log line as a failure's `matches` keep it: the line and where its
/// date was cut (fail2ban's `(before, date text, after)` tuple is
/// [`CutLine::pieces`]). One string for the three pieces and the line: the
/// pieces as strings of their own were three more allocations per reported
/// line, made by the worker and freed by the tool's other thread.
pub type TupleLine = Arc<CutLine>;

/// See [`TupleLine`].
#[derive(Clone, Debug, PartialEq)]
pub struct CutLine {
    /// The line as read (no line end).
    pub text: String,
    pub parts: DateParts,
}

impl CutLine {
    /// fail2ban's `(before, date text, after)`.
    pub fn pieces(&self) -> (&str, &str, &str) {
        self.parts.of(&self.text)
    }
}

/// A value of the failure dict.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A group that did not take part in the match.
    None,
    /// A group's text (see [`GroupText`] for why it is not a `String`).
    Str(GroupText),
    /// `mlfpending` (fail2ban stores `1`).
    Int(i64),
    /// A `tuple_…` group target: the values of every group feeding it.
    Tuple(Vec<Option<GroupText>>),
    /// `users`: the set of users seen in a session, in the order first seen.
    Users(Vec<Value>),
    /// `matches` / `nofail-matches`: the lines of the failure.
    Lines(Vec<TupleLine>),
    /// `ip` when the failure id is not the address: `Address.of(text, cidr)`.
    Addr(String, i32),
}

impl Value {
    /// Python's `bool(value)`.
    pub fn truthy(&self) -> bool {
        match self {
            Value::None => false,
            Value::Str(s) => !s.is_empty(),
            Value::Int(i) => *i != 0,
            Value::Tuple(t) => !t.is_empty(),
            Value::Users(u) => !u.is_empty(),
            Value::Lines(l) => !l.is_empty(),
            Value::Addr(..) => true,
        }
    }

    /// Python's `str(value)` for the values an id or an address can hold.
    pub fn text(&self) -> String {
        match self {
            Value::None => "None".to_owned(),
            Value::Str(s) => s.as_str().to_owned(),
            Value::Addr(s, _) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Tuple(items) => {
                let parts: Vec<String> = items
                    .iter()
                    // repr() of a plain string (quotes inside are rare in ids)
                    .map(|v| v.as_ref().map_or("None".to_owned(), |s| format!("'{s}'")))
                    .collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
            Value::Users(_) | Value::Lines(_) => String::new(),
        }
    }

    fn lines(&self) -> &[TupleLine] {
        match self {
            Value::Lines(lines) => lines,
            _ => &[],
        }
    }
}

/// An insertion-ordered map with a Python dict's update rules (few keys: a
/// linear search beats hashing here). Keys are interned ([`Key`]): a
/// failure's dict costs no key copies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields {
    entries: Vec<(Key, Value)>,
    /// The union of the bits of the keys present, always exactly that (so
    /// equal dicts have equal masks). A key whose bit is clear is absent
    /// without a walk: the session rules ask for many keys a failure's dict
    /// rarely holds (`mlfgained`, `mlfforget`, `mlfpending`, `fid`, ...).
    present: u64,
}

impl Fields {
    pub fn new() -> Self {
        Fields::default()
    }

    /// A copy with room for `extra` more keys.
    pub fn clone_with_room(&self, extra: usize) -> Self {
        let mut entries = Vec::with_capacity(self.entries.len() + extra);
        entries.extend(self.entries.iter().cloned());
        Fields {
            entries,
            present: self.present,
        }
    }

    /// [`Fields::present`] made again after keys left.
    fn recount(&mut self) {
        self.present = self.entries.iter().fold(0, |bits, (k, _)| bits | k.bit());
    }

    /// A copy without the values that are lists of lines (`matches`,
    /// `nofail-matches`), the other keys in their order.
    pub fn without_lines(&self) -> Self {
        let mut entries = Vec::with_capacity(self.entries.len());
        entries.extend(
            self.entries
                .iter()
                .filter(|(_, v)| !matches!(v, Value::Lines(_)))
                .cloned(),
        );
        let mut lean = Fields {
            entries,
            present: 0,
        };
        lean.recount();
        lean
    }

    /// [`Fields::without_lines`] in place.
    pub fn drop_lines(&mut self) {
        self.entries.retain(|(_, v)| !matches!(v, Value::Lines(_)));
        self.recount();
    }

    /// An empty dict with room for `n` keys.
    pub fn with_capacity(n: usize) -> Self {
        Fields {
            entries: Vec::with_capacity(n),
            present: 0,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (Key, &Value)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: Key) -> Option<&Value> {
        if !self.may_hold(key) {
            return None;
        }
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// False when `key` is certainly absent: its bit is clear (see
    /// [`Fields::present`]); true when a walk must tell.
    fn may_hold(&self, key: Key) -> bool {
        self.present & key.bit() != 0
    }

    /// `dict.get(key)` tested for truth.
    pub fn truthy(&self, key: Key) -> bool {
        self.get(key).is_some_and(Value::truthy)
    }

    /// `dict.get(key) is not None`: the value when present and not `None`.
    pub fn some(&self, key: Key) -> Option<&Value> {
        self.get(key).filter(|v| !matches!(v, Value::None))
    }

    /// `dict[key] = value`: an existing key keeps its place.
    pub fn set(&mut self, key: Key, value: Value) {
        match self.entry_mut(key) {
            Some(entry) => *entry = value,
            None => self.push_new(key, value),
        }
    }

    /// The value under `key`, to change in place.
    fn entry_mut(&mut self, key: Key) -> Option<&mut Value> {
        if !self.may_hold(key) {
            return None;
        }
        self.entries
            .iter_mut()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// Append a key known not to be there (a match's group names are unique).
    pub fn push_new(&mut self, key: Key, value: Value) {
        debug_assert!(self.get(key).is_none());
        self.present |= key.bit();
        self.entries.push((key, value));
    }

    /// `dict.pop(key, None)`.
    pub fn pop(&mut self, key: Key) -> Option<Value> {
        if !self.may_hold(key) {
            return None;
        }
        let at = self.entries.iter().position(|(k, _)| *k == key)?;
        let (_, value) = self.entries.remove(at);
        self.recount();
        Some(value)
    }

    /// `dict.update(other)`.
    pub fn update(&mut self, other: &Fields) {
        for &(k, ref v) in &other.entries {
            self.set(k, v.clone());
        }
    }

    /// [`Fields::update`] with the values moved out of `other`.
    pub fn update_owned(&mut self, other: Fields) {
        for (k, v) in other.entries {
            self.set(k, v);
        }
    }

    /// `dict.update((k, v) for k, v in other.items() if v is not None)`.
    pub fn update_present(&mut self, other: &Fields) {
        for &(k, ref v) in &other.entries {
            if !matches!(v, Value::None) {
                self.set(k, v.clone());
            }
        }
    }

    /// [`Fields::update_present`] with the values moved out of `other`.
    pub fn update_present_owned(&mut self, other: Fields) {
        for (k, v) in other.entries {
            if !matches!(v, Value::None) {
                self.set(k, v);
            }
        }
    }

    /// The lines under `key` (`dict.get(key, [])` for a list of lines).
    pub fn lines(&self, key: Key) -> Vec<TupleLine> {
        self.get(key)
            .map(|v| v.lines().to_vec())
            .unwrap_or_default()
    }

    /// [`Fields::lines`], taken out: a list of lines under `key` is left
    /// empty in its place (for a [`Fields::set`] of the key to follow).
    pub fn take_lines(&mut self, key: Key) -> Vec<TupleLine> {
        match self.entry_mut(key) {
            Some(Value::Lines(lines)) => std::mem::take(lines),
            _ => Vec::new(),
        }
    }

    /// `dict[key] = dict.get(key, []) + [line]` for a list of lines.
    pub fn append_line(&mut self, key: Key, line: TupleLine) {
        match self.entry_mut(key) {
            Some(Value::Lines(lines)) => lines.push(line),
            _ => self.set(key, Value::Lines(vec![line])),
        }
    }

    /// fail2ban's `_addUser`: adds a truthy `user` to the `users` set (made on
    /// first use); returns how many users the set then holds.
    pub fn add_user(&mut self, user: Option<&Value>) -> usize {
        if let Some(user) = user.filter(|u| u.truthy()) {
            match self.entry_mut(keys::USERS) {
                Some(Value::Users(users)) => {
                    if !users.contains(user) {
                        users.push(user.clone());
                    }
                }
                _ => self.set(keys::USERS, Value::Users(vec![user.clone()])),
            }
        }
        match self.get(keys::USERS) {
            Some(Value::Users(u)) => u.len(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(name: &str) -> Key {
        intern(name)
    }

    fn s(text: &str) -> Value {
        Value::Str(text.into())
    }

    #[test]
    fn equal_names_intern_to_one_key() {
        let user = String::from("user");
        assert_eq!(intern(&user), keys::USER);
        let name = String::from("some_group");
        let (a, b) = (intern(&name), intern("some_group"));
        assert!(a == b && a == "some_group");
        assert_eq!(intern("matches"), keys::MATCHES);
        assert_ne!(intern("ip4"), intern("ip6"));
        // a name's key is its own: another name of the same text is not it
        let same_text = Key(Box::leak(Box::new(KeyName::new("some_group", 0))));
        assert!(same_text != a && same_text == "some_group");
        assert!(a.json_plain() && keys::NOFAIL_MATCHES.json_plain());
        assert!(!intern("odd\"key").json_plain() && !intern("odd\\key").json_plain());
    }

    /// Keys of one test universe, two of them sharing a bit.
    fn universe() -> [Key; 5] {
        let shared = |name| Key(Box::leak(Box::new(KeyName::new(name, 40))));
        [
            keys::USER,
            keys::MATCHES,
            k("grp"),
            shared("left"),
            shared("right"),
        ]
    }

    proptest::proptest! {
        #[test]
        fn lookups_by_bit_agree_with_a_walk(
            ops in proptest::collection::vec((0u8..4, 0usize..5, 0u8..3), 0..40),
        ) {
            let keys = universe();
            let mut f = Fields::new();
            let mut model: Vec<(Key, Value)> = Vec::new();
            for (op, at, v) in ops {
                let key = keys[at];
                let value = match v {
                    0 => Value::None,
                    1 => s("x"),
                    _ => Value::Lines(Vec::new()),
                };
                match op {
                    0 => {
                        f.set(key, value.clone());
                        match model.iter_mut().find(|(k, _)| *k == key) {
                            Some(entry) => entry.1 = value,
                            None => model.push((key, value)),
                        }
                    }
                    1 => {
                        let expected = model.iter().position(|(k, _)| *k == key)
                            .map(|i| model.remove(i).1);
                        proptest::prop_assert_eq!(f.pop(key), expected);
                    }
                    2 => {
                        f.drop_lines();
                        model.retain(|(_, v)| !matches!(v, Value::Lines(_)));
                    }
                    _ => {
                        let mut other = Fields::new();
                        other.set(key, value);
                        f.update_present_owned(other.clone());
                        for (k, v) in other.iter() {
                            if !matches!(v, Value::None) {
                                match model.iter_mut().find(|(m, _)| *m == k) {
                                    Some(entry) => entry.1 = v.clone(),
                                    None => model.push((k, v.clone())),
                                }
                            }
                        }
                    }
                }
                let walked: Vec<_> = model.iter().map(|(k, v)| (*k, v)).collect();
                proptest::prop_assert_eq!(f.iter().collect::<Vec<_>>(), walked);
                for key in keys {
                    let found = model.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
                    proptest::prop_assert_eq!(f.get(key), found);
                }
                let mut recounted = f.clone();
                recounted.recount();
                proptest::prop_assert_eq!(recounted.present, f.present);
            }
        }
    }

    #[test]
    fn dict_rules_keep_insertion_order() {
        let mut f = Fields::new();
        f.set(k("a"), s("1"));
        f.set(k("b"), Value::None);
        f.set(k("a"), s("2"));
        assert_eq!(f.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(f.pop(k("a")), Some(s("2")));
        f.set(k("a"), s("3"));
        assert_eq!(f.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["b", "a"]);
        assert!(f.some(k("b")).is_none() && f.get(k("b")).is_some());
    }

    #[test]
    fn update_present_skips_none_values() {
        let mut known = Fields::new();
        known.set(k("user"), s("root"));
        let mut new = Fields::new();
        new.set(k("user"), Value::None);
        new.set(k("ip4"), s("192.0.2.1"));
        known.update_present(&new);
        assert_eq!(known.get(k("user")), Some(&s("root")));
        assert_eq!(known.get(k("ip4")), Some(&s("192.0.2.1")));
    }

    #[test]
    fn owned_updates_and_line_lists_follow_the_dict_rules() {
        let line = |t: &str| {
            Arc::new(CutLine {
                text: t.to_owned(),
                parts: DateParts::Whole,
            })
        };
        let mut f = Fields::new();
        f.set(k("a"), s("1"));
        f.set(k("matches"), s("not lines"));
        let mut g = Fields::new();
        g.set(k("b"), s("2"));
        g.set(k("a"), Value::None);
        let mut h = f.clone();
        h.update(&g);
        let mut o = f.clone();
        o.update_owned(g.clone());
        assert_eq!(o, h);
        let mut h = f.clone();
        h.update_present(&g);
        let mut o = f.clone();
        o.update_present_owned(g);
        assert_eq!(o, h);
        // not a list of lines: taken as empty, replaced in place
        assert!(f.take_lines(k("matches")).is_empty());
        assert_eq!(f.get(k("matches")), Some(&s("not lines")));
        f.append_line(k("matches"), line("x"));
        f.append_line(k("matches"), line("y"));
        f.append_line(k("other"), line("z"));
        assert_eq!(
            f.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["a", "matches", "other"]
        );
        assert_eq!(f.lines(k("matches")), [line("x"), line("y")]);
        assert_eq!(f.take_lines(k("matches")), [line("x"), line("y")]);
        assert_eq!(f.get(k("matches")), Some(&Value::Lines(Vec::new())));
    }

    #[test]
    fn line_lists_can_be_left_out_in_order() {
        let line = Arc::new(CutLine {
            text: "x".to_owned(),
            parts: DateParts::Whole,
        });
        let mut f = Fields::new();
        f.set(k("a"), s("1"));
        f.append_line(k("matches"), line.clone());
        f.set(k("b"), s("2"));
        f.append_line(k("nofail-matches"), line);
        let lean = f.without_lines();
        assert_eq!(lean.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
        f.drop_lines();
        assert_eq!(f, lean);
    }

    #[test]
    fn truth_follows_python() {
        assert!(!s("").truthy() && s("x").truthy());
        assert!(!Value::None.truthy() && !Value::Int(0).truthy() && Value::Int(1).truthy());
        assert!(!Value::Lines(Vec::new()).truthy());
    }

    #[test]
    fn users_are_a_set_of_truthy_users() {
        let mut f = Fields::new();
        assert_eq!(f.add_user(Some(&s(""))), 0);
        assert!(f.get(k("users")).is_none());
        assert_eq!(f.add_user(Some(&s("root"))), 1);
        assert_eq!(f.add_user(Some(&s("root"))), 1);
        assert_eq!(f.add_user(Some(&s("bob"))), 2);
        assert_eq!(f.add_user(None), 2);
    }

    #[test]
    fn text_mimics_python_str() {
        assert_eq!(s("10.0.0.1").text(), "10.0.0.1");
        assert_eq!(
            Value::Tuple(vec![Some("a".into()), None]).text(),
            "('a', None)"
        );
    }
}
