use super::*;

fn pcre(p: &str) -> String {
    to_pcre2(&parse(p).unwrap())
}

fn superset(p: &str) -> String {
    to_superset(&parse(p).unwrap(), SupersetFor::Hyperscan)
}

#[test]
fn named_groups_and_backrefs() {
    assert_eq!(
        pcre(r"(?P<host>\S+) (?P=host)"),
        r"(?P<host>[^\s\x{1c}-\x{1f}]+)\x{20}\k<host>"
    );
    assert_eq!(
        superset(r"(?P<host>\S+) (?P=host)"),
        r"(?:[^\t\n\x0b\x0c\r\x1c-\x1f\x20]+)\x{20}(?:.*)"
    );
}

#[test]
fn python_only_forms_are_rewritten() {
    assert_eq!(pcre(r"a{,3}\Z"), r"a{0,3}\z");
    assert_eq!(
        pcre(r"\u00e9\x41\v"),
        "é\\x{41}\\x{b}".replace("\\x{41}", "A")
    );
    assert_eq!(pcre(r"[\b\d-]"), r"[\x{8}\d\-]");
    assert_eq!(pcre("(?x) a b # comment\n c"), "abc");
    assert_eq!(pcre(r"(?i)x(?#note)y"), "(?i)xy");
}

#[test]
fn lookarounds_and_conditionals_loosen() {
    assert_eq!(superset(r"(?<=a)b(?!c)d"), "bd");
    assert_eq!(superset(r"(a)?(?(1)b|c)"), "(?:a)?(?:b|c)");
    assert_eq!(superset(r"(a)?(?(1)b)"), "(?:a)?(?:b)?");
    // Hyperscan's form drops end anchors (see `to_superset`); the regex
    // crate's keeps them.
    assert_eq!(superset(r"\Afo\Z"), "^fo");
    assert_eq!(superset(r"a$|b\Z"), "a|b");
    assert_eq!(
        to_superset(&parse(r"\Afo\Z").unwrap(), SupersetFor::RustRegex),
        "^fo$"
    );
    assert_eq!(superset(r"\bfoo\b"), "foo");
    assert_eq!(pcre(r"(?P<x>a)?(?(x)b|c)"), "(?P<x>a)?(?(<x>)b|c)");
}

#[test]
fn rust_regex_refuses_what_it_cannot_express() {
    assert!(to_rust_regex(&parse(r"(a)\1").unwrap()).is_none());
    assert!(to_rust_regex(&parse(r"(?=a)").unwrap()).is_none());
    assert!(to_rust_regex(&parse(r"(?a)\w").unwrap()).is_none());
    assert_eq!(
        to_rust_regex(&parse(r"^(?P<h>\w+)$").unwrap()).unwrap(),
        r"^(?P<h>[\p{L}\p{N}_]+)$"
    );
    assert!(to_rust_regex(&parse(r"\bx").unwrap()).is_none());
}

#[test]
fn literal_braces_stay_literal() {
    assert_eq!(pcre(r"a{x}"), r"a\{x\}");
    assert_eq!(pcre(r"a{2,}"), r"a{2,}");
}

#[test]
fn errors_name_the_position() {
    let e = parse(r"abc(def").unwrap_err();
    assert_eq!(e.position, 3);
    let e = parse(r"ab\q").unwrap_err();
    assert!(e.message.contains("bad escape"), "{e}");
    assert_eq!(e.position, 3);
    assert!(parse(r"*a").is_err());
    assert!(parse(r"a)").is_err());
    assert!(parse(r"a(?i)b").is_err());
    assert!(parse(r"[a").is_err());
    assert!(parse(r"[z-a]").is_err());
}

#[test]
fn numeric_escapes() {
    assert_eq!(pcre(r"(a)\1"), r"(a)\g{1}");
    assert_eq!(pcre(r"\101"), "A");
    assert_eq!(pcre(r"\0"), r"\x{0}");
}

#[test]
fn byte_mode_superset_widens_non_ascii() {
    let high = r"[\x80-\xff]{2,4}";
    assert_eq!(superset("é"), format!("(?:{high})"));
    assert_eq!(superset("(?i)k"), format!("(?i)(?:k|{high})"));
    assert_eq!(superset("[a-z]"), "[a-z]");
    assert_eq!(superset("[a-é]"), format!(r"(?:[a-\x7f]|{high})"));
    assert_eq!(superset("[^aé-ü]"), format!(r"(?:[^a\x80-\xff]|{high})"));
    assert_eq!(superset(r"[^\S]"), format!(r"(?:[\x00-\x7f]|{high})"));
    assert_eq!(superset(r"[\d.]"), format!(r"(?:[\d.]|{high})"));
    assert_eq!(superset("."), format!(r"(?:[^\n\x80-\xff]|{high})"));
    // Before an unbounded repeat, one widened byte class.
    assert_eq!(superset(".+é*"), r"[^\n]+[\x80-\xff]*");
    assert_eq!(superset(r"[^a]*\w{2,}"), r"[^a]*[0-9A-Za-z_\x80-\xff]{2,}");
}

#[test]
fn superset_starts_at_the_first_selective_literal() {
    // A literal-free optional prefix is dropped (the tail is a superset).
    assert_eq!(
        superset(r"^(?:\d+ )?(?:x)?Failed for (?P<u>a)"),
        r"Failed\x{20}for\x{20}(?:a)"
    );
    assert_eq!(
        superset(r"^(?:\d+ )?(?:Failed|Invalid) (?P<u>a)"),
        r"(?:Failed|Invalid)\x{20}(?:a)"
    );
    // Nothing selective, or a top-level alternation: kept whole.
    assert_eq!(superset(r"^ab(?:c)"), r"^ab(?:c)");
    assert_eq!(superset(r"^(?:x)?abc|d"), r"^(?:x)?abc|d");
}

fn core(p: &str) -> Option<LiteralCore> {
    to_literal_core(&parse(p).unwrap())
}

#[test]
fn literal_core_is_the_longest_literal_run() {
    // A fail2ban-like regex: anchor, optional prefix, message, address, end.
    // Plain groups are inlined, so the message's words and the literal set
    // between them make one run; the prefix and anchors are left out (any
    // match of the whole contains a match of the core, so searching for the
    // core alone misses no line).
    let c = core(r"^(?:\d+ )?(?P<pre>\S+ )?(?:Failed (?:password|publickey) for) (?P<user>\S+) from (?P<host>\S+)\s*$").unwrap();
    assert_eq!(
        c.literal,
        r"Failed\x{20}(?:password|publickey)\x{20}for\x{20}"
    );
    assert_eq!(
        c.spellings,
        ["Failed password for ", "Failed publickey for "]
    );
    // The check keeps everything from the core on, the end anchor included,
    // and is not anchored at its start (it runs from the core match's start).
    assert!(
        c.check.starts_with(r"Failed\x{20}(?:password|publickey)"),
        "{}",
        c.check
    );
    assert!(c.check.ends_with('$'), "{}", c.check);
    assert!(!c.caseless);
}

#[test]
fn literal_core_leaves_out_what_it_cannot_keep_whole() {
    // A top-level alternation with a branch without a core: no core.
    assert_eq!(core(r"Failed password|\d+"), None);
    // Nothing literal of three characters: no core (the finder keeps the
    // superset of the whole pattern).
    assert_eq!(core(r"^a\d+bc\s$"), None);
    // Look-arounds and word boundaries are zero-width: dropping them only
    // admits more, and the runs on both sides join.
    assert_eq!(core(r"\bfoo(?=x)bar\b\d").unwrap().literal, "foobar");
    // Without case, `i`, `k` and `s` fold onto non-ASCII letters and end a
    // run; the longest remaining run is kept, with the flag.
    let c = core(r"(?i)user login failed").unwrap();
    assert_eq!(c.literal, r"(?i)er\x{20}log");
    assert!(c.caseless);
    // Non-ASCII characters end a run too (byte mode spells them as ranges).
    assert_eq!(
        core("é failed login").unwrap().literal,
        r"\x{20}failed\x{20}login"
    );
}

#[test]
fn literal_core_may_be_a_set_of_the_alternatives_cores() {
    // postfix: each alternative has its own core, longer than the ` from `
    // after the group that most syslog lines hold. The core is the set of
    // the alternatives' cores; the check runs each alternative from its
    // core on, then the rest of the pattern.
    let c = core(r"^\S+ (?:\w+: reject:|too many errors after \S+) from (?P<h>\S+)$").unwrap();
    assert_eq!(
        c.literal,
        r"(?::\x{20}reject:|too\x{20}many\x{20}errors\x{20}after\x{20})"
    );
    assert_eq!(c.spellings, [": reject:", "too many errors after "]);
    assert!(
        c.check
            .starts_with(r"(?::\x{20}reject:|too\x{20}many\x{20}errors\x{20}after\x{20}"),
        "{}",
        c.check
    );
    assert!(
        c.check
            .ends_with(r"\x{20}from\x{20}[^\t\n\x0b\x0c\r\x1c-\x1f\x20]+$"),
        "{}",
        c.check
    );
    // A top-level alternation is the same set, with nothing after it.
    let c = core(r"Failed password for \S+|Invalid user \S+ from").unwrap();
    assert_eq!(c.spellings, ["Failed password for ", "Invalid user "]);
    // A shorter literal run elsewhere loses to the set; a longer one wins.
    let c = core(r"(?:\w+ rejected|\d+ refused) by the remote host$").unwrap();
    assert_eq!(c.literal, r"\x{20}by\x{20}the\x{20}remote\x{20}host");
}

#[test]
fn literal_core_takes_a_word_in_either_case() {
    // dovecot's failregex ends in a choice of words written `[Uu]nknown user`:
    // a class of a few letters is one character out of a small set.
    let c = core(r"\S*,(?P<h>\S+)\): (?:[Uu]nknown user|[Pp]assword mismatch)$").unwrap();
    assert_eq!(
        c.literal,
        r"\):\x{20}(?:[Uu]nknown\x{20}user|[Pp]assword\x{20}mismatch)"
    );
    assert_eq!(
        c.spellings,
        [
            "): Password mismatch",
            "): Unknown user",
            "): password mismatch",
            "): unknown user"
        ]
    );
    // Larger classes, ranges and negations are no literal.
    assert_eq!(
        core(r"\d+ [Uu]nk[a-z]own user$").unwrap().literal,
        r"own\x{20}user"
    );
    assert_eq!(core(r"x[abcde]xxxxx"), core(r"x.xxxxx"));
}

#[test]
fn literal_core_never_depends_on_what_it_drops() {
    // The back-reference refers to a group before the core: the check spells
    // it as any text (`.*`), as every superset does, so it refers to nothing.
    let c = core(r"(?P<u>\w+) logged in as (?P=u) twice").unwrap();
    assert_eq!(c.literal, r"\x{20}logged\x{20}in\x{20}as\x{20}");
    assert!(c.check.ends_with(r"(?:.*)\x{20}twice"), "{}", c.check);
    // A conditional is no literal: the core is on one side of it, and the
    // check keeps both branches.
    let c = core(r"(?P<x>a)?user (?(x)b|c) denied").unwrap();
    assert_eq!(c.literal, r"\x{20}denied");
    let c = core(r"(?P<x>a)?user: (?(x)b|c)").unwrap();
    assert_eq!(c.literal, r"user:\x{20}");
    assert!(c.check.ends_with("(?:b|c)"), "{}", c.check);
}
