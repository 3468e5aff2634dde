//! Compares hyperban's date detection with fail2ban's, line by line, using
//! the fixture `tests/data/date_oracle.json` produced by
//! `tests/date/oracle_dates.py` (see that script for how to regenerate it).
//!
//! For every case (datepattern, logtimezone, local zone, "now", input lines)
//! a fresh `DateDetector` must refuse exactly the configurations fail2ban
//! refuses, build the same template regexes, and for each line find the same
//! outcome, removed span (character offsets) and epoch.

use hyperban_core::date::{DateDetector, DateValue, LocalZone};
use std::collections::BTreeMap;

// ------------------------------------------------------- minimal JSON ---

#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s[self.i], c,
            "JSON: expected {:?} at {}",
            c as char, self.i
        );
        self.i += 1;
    }
    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.i] {
            b'n' => {
                self.i += 4;
                Json::Null
            }
            b't' => {
                self.i += 4;
                Json::Bool(true)
            }
            b'f' => {
                self.i += 5;
                Json::Bool(false)
            }
            b'"' => Json::Str(self.string()),
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s[self.i] == b']' {
                    self.i += 1;
                    return Json::Arr(v);
                }
                loop {
                    v.push(self.value());
                    self.ws();
                    let c = self.s[self.i];
                    self.i += 1;
                    if c == b']' {
                        return Json::Arr(v);
                    }
                    assert_eq!(c, b',');
                }
            }
            b'{' => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.s[self.i] == b'}' {
                    self.i += 1;
                    return Json::Obj(m);
                }
                loop {
                    self.ws();
                    let k = self.string();
                    self.eat(b':');
                    let v = self.value();
                    m.insert(k, v);
                    self.ws();
                    let c = self.s[self.i];
                    self.i += 1;
                    if c == b'}' {
                        return Json::Obj(m);
                    }
                    assert_eq!(c, b',');
                }
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len() && b"+-0123456789.eE".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                Json::Num(t.parse().unwrap_or_else(|_| panic!("JSON number {t:?}")))
            }
        }
    }
    fn hex4(&mut self) -> u32 {
        let t = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
        self.i += 4;
        u32::from_str_radix(t, 16).unwrap()
    }
    fn string(&mut self) -> String {
        assert_eq!(self.s[self.i], b'"');
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.s[self.i] != b'"' && self.s[self.i] != b'\\' {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).unwrap());
            let c = self.s[self.i];
            self.i += 1;
            if c == b'"' {
                return out;
            }
            let e = self.s[self.i];
            self.i += 1;
            match e {
                b'n' => out.push('\n'),
                b't' => out.push('\t'),
                b'r' => out.push('\r'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'u' => {
                    let mut cp = self.hex4();
                    if (0xD800..0xDC00).contains(&cp) && self.s[self.i] == b'\\' {
                        self.i += 2;
                        let lo = self.hex4();
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                }
                other => out.push(other as char),
            }
        }
    }
}

impl Json {
    fn get(&self, k: &str) -> &Json {
        match self {
            Json::Obj(m) => m.get(k).unwrap_or(&Json::Null),
            _ => &Json::Null,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    fn num(&self) -> f64 {
        match self {
            Json::Num(n) => *n,
            other => panic!("not a number: {other:?}"),
        }
    }
    fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(v) => v,
            _ => &[],
        }
    }
    fn truthy(&self) -> bool {
        matches!(self, Json::Bool(true))
    }
}

// --------------------------------------------------------------- test ---

fn describe(v: Option<(DateValue, (usize, usize))>) -> String {
    match v {
        None => "none".into(),
        Some((DateValue::Time(t), s)) => format!("time {t} @{s:?}"),
        Some((DateValue::Empty, s)) => format!("empty @{s:?}"),
        Some((DateValue::Invalid, s)) => format!("invalid @{s:?}"),
        Some((DateValue::Abort, _)) => "abort".into(),
    }
}

#[test]
fn matches_fail2ban() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/date_oracle.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    let root = Parser {
        s: text.as_bytes(),
        i: 0,
    }
    .value();
    let created_at = root.get("created_at").num();
    let inputs = root.get("inputs");
    let templates = root.get("templates");

    let mut mismatches: Vec<String> = Vec::new();
    let mut per_case: BTreeMap<String, usize> = BTreeMap::new();
    let (mut lines_checked, mut cases_checked, mut skipped) = (0usize, 0usize, 0usize);

    for case in root.get("cases").arr() {
        let id = case.get("id").str().unwrap().to_string();
        let tz = case.get("tz").str().unwrap();
        if tz.contains('/')
            && !tz.contains(',')
            && !std::path::Path::new("/usr/share/zoneinfo")
                .join(tz)
                .exists()
        {
            skipped += 1;
            continue;
        }
        let zone = LocalZone::from_tz_value(Some(tz), None);
        let dp = case.get("datepattern").str();
        let ltz = case.get("logtimezone").str();
        let built = DateDetector::with_zone(dp, ltz, created_at, zone);
        cases_checked += 1;
        let mut bad = |msg: String| {
            *per_case.entry(id.clone()).or_default() += 1;
            if mismatches.len() < 60 {
                mismatches.push(format!("[{id}] {msg}"));
            }
        };
        let mut det = match (built, case.get("error").truthy()) {
            (Err(_), true) => continue,
            (Ok(_), true) => {
                bad(format!(
                    "fail2ban refuses this configuration: {:?}",
                    case.get("reason")
                ));
                continue;
            }
            (Err(e), false) => {
                bad(format!("refused: {e}"));
                continue;
            }
            (Ok(d), false) => d,
        };
        let key = format!(
            "{}|{}",
            dp.map_or("None".to_string(), str::to_string),
            ltz.map_or("None".to_string(), str::to_string)
        );
        let want = templates.get(&key).arr();
        let got = det.template_info();
        if want.len() != got.len() {
            bad(format!(
                "{} templates, fail2ban has {}",
                got.len(),
                want.len()
            ));
        }
        for (w, g) in want.iter().zip(got.iter()) {
            let w = w.arr();
            let (wn, wr, wf, ww) = (
                w[0].str().unwrap(),
                w[1].str().unwrap(),
                w[2].num(),
                w[3].num(),
            );
            if (wn, wr, wf as u8, ww) != (g.0, g.1, g.2, g.3) {
                bad(format!(
                    "template differs:\n   want {wn:?} {wr:?} {wf} {ww}\n   got  {:?}",
                    g
                ));
            }
        }
        let lines = inputs.get(case.get("input").str().unwrap()).arr();
        let nows = case.get("now");
        for (i, (line, row)) in lines.iter().zip(case.get("results").arr()).enumerate() {
            let line = line.str().unwrap();
            let now = match nows {
                Json::Arr(v) => v[i].num(),
                n => n.num(),
            };
            let row = row.arr();
            let kind = row[0].str().unwrap();
            let span = (row[1].num() as usize, row[2].num() as usize);
            let want = match kind {
                "none" => None,
                "time" => Some((DateValue::Time(row[3].num()), span)),
                "empty" => Some((DateValue::Empty, span)),
                "invalid" => Some((DateValue::Invalid, span)),
                "abort" => Some((DateValue::Abort, span)),
                k => panic!("unknown kind {k}"),
            };
            let got = det.find(line, now).map(|m| (m.value, m.char_span(line)));
            lines_checked += 1;
            let same = match (want, got) {
                (None, None) => true,
                (Some((DateValue::Abort, _)), Some((DateValue::Abort, _))) => true,
                (Some(a), Some(b)) => a == b,
                _ => false,
            };
            if !same {
                let shown: String = line.chars().take(160).collect();
                bad(format!(
                    "line {i} {shown:?} now={now}\n   want {}\n   got  {}",
                    describe(want),
                    describe(got)
                ));
            }
        }
    }
    eprintln!("checked {cases_checked} cases, {lines_checked} lines ({skipped} cases skipped: zone file missing)");
    if !mismatches.is_empty() {
        eprintln!("mismatching cases: {per_case:#?}");
        for m in &mismatches {
            eprintln!("{m}");
        }
        panic!("{} cases differ from fail2ban", per_case.len());
    }
}
