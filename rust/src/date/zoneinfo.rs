//! The host's local time zone, resolved the way glibc does it, because
//! fail2ban turns zone-less log dates into epochs with `time.mktime` (and
//! reads "now" with `datetime.fromtimestamp`), both of which follow glibc.
//!
//! * `TZ` unset: `/etc/localtime`; unreadable: UTC.
//! * `TZ=""`: UTC.  A leading `:` is ignored.
//! * Otherwise the value is first tried as a TZif file (absolute, or relative
//!   to `$TZDIR`, default `/usr/share/zoneinfo`), then as a POSIX TZ string
//!   (`CET-1CEST,M3.5.0,M10.5.0/3`); an unparsable value means UTC.
//!
//! TZif (RFC 8536) version 1..4 files are read; the 64-bit block is used when
//! present, and its footer TZ string governs instants after the last
//! transition.  Before the first transition the first non-DST type applies
//! (glibc's rule).  Leap-second records are ignored, and a POSIX string
//! without rules uses the US default rules instead of glibc's `posixrules`
//! file.  POSIX rule dates are computed with glibc's quirks (the year of the
//! instant in UTC; years up to 1970 are anchored at 1970-01-01).
//!
//! [`LocalZone::mktime`] reproduces glibc's `mktime` probing with
//! `tm_isdst = -1`, including the carried offset guess that decides which of
//! two ambiguous (fall-back) readings is returned.

use super::posixtz::{parse_posix, PosixZone};
use super::tzif::{parse_tzif, FileZone};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Zone {
    Posix(PosixZone),
    File(FileZone),
}

/// A resolved local time zone (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalZone {
    zone: Zone,
}

const DEFAULT_TZDIR: &str = "/usr/share/zoneinfo";
const TZDEFAULT: &str = "/etc/localtime";

impl LocalZone {
    /// UTC.
    pub fn utc() -> LocalZone {
        LocalZone::fixed(0)
    }

    /// A constant offset, seconds east of UTC.
    pub fn fixed(offset_seconds: i32) -> LocalZone {
        LocalZone {
            zone: Zone::Posix(PosixZone {
                std_offset: i64::from(offset_seconds),
                dst: None,
            }),
        }
    }

    /// The zone of this process's environment (`TZ`, `TZDIR`,
    /// `/etc/localtime`), as glibc would resolve it.
    pub fn from_env() -> LocalZone {
        let tz = std::env::var("TZ").ok();
        let tzdir = std::env::var("TZDIR").ok();
        LocalZone::from_tz_value(tz.as_deref(), tzdir.as_deref())
    }

    /// Resolves a `TZ` value (`None` = variable unset) like glibc, with
    /// `tzdir` standing for `$TZDIR`.
    pub fn from_tz_value(tz: Option<&str>, tzdir: Option<&str>) -> LocalZone {
        let spec = match tz {
            None => TZDEFAULT.to_string(),
            Some("") => "Universal".to_string(),
            Some(v) => {
                let v = v.strip_prefix(':').unwrap_or(v);
                if v.is_empty() {
                    TZDEFAULT.to_string()
                } else {
                    v.to_string()
                }
            }
        };
        let path = if spec.starts_with('/') {
            PathBuf::from(&spec)
        } else {
            let dir = match tzdir {
                Some(d) if !d.is_empty() => d,
                _ => DEFAULT_TZDIR,
            };
            Path::new(dir).join(&spec)
        };
        if let Some(zone) = std::fs::read(&path)
            .ok()
            .and_then(|b| LocalZone::from_tzif(&b))
        {
            return zone;
        }
        LocalZone::from_posix(&spec).unwrap_or_else(LocalZone::utc)
    }

    /// Parses TZif data; `None` if malformed.
    pub fn from_tzif(data: &[u8]) -> Option<LocalZone> {
        parse_tzif(data).map(|f| LocalZone {
            zone: Zone::File(f),
        })
    }

    /// Parses a POSIX TZ string like glibc; `None` if its standard part is
    /// unusable (glibc then falls back to UTC).
    pub fn from_posix(spec: &str) -> Option<LocalZone> {
        parse_posix(spec.as_bytes()).map(|p| LocalZone {
            zone: Zone::Posix(p),
        })
    }

    /// UTC offset (seconds east) and DST flag in force at epoch second `t`.
    pub fn offset_at(&self, t: i64) -> (i64, bool) {
        let lt = match &self.zone {
            Zone::Posix(p) => p.local_type(t),
            Zone::File(f) => f.local_type(t),
        };
        (lt.offset, lt.isdst)
    }

    /// glibc `mktime` with `tm_isdst = -1` for the naive local reading
    /// `naive` (seconds counted as if UTC).  `guess` carries glibc's static
    /// offset guess between calls (start with 0).  `None` where glibc gives
    /// up (Python then raises `OverflowError`).
    pub fn mktime(&self, naive: i64, guess: &mut i64) -> Option<i64> {
        let t0 = naive.checked_add(*guess)?;
        let (mut t, mut t1, mut t2) = (t0, t0, t0);
        let mut dst2 = false;
        let mut probes_left = 6;
        loop {
            let (off, isdst) = self.offset_at(t);
            let dt = naive - (t + off);
            if dt == 0 {
                break;
            }
            // Oscillating across a spring-forward gap: settle, preferring
            // the DST side as glibc does.
            if t == t1 && t != t2 && !dst2 | isdst {
                break;
            }
            probes_left -= 1;
            if probes_left == 0 {
                return None;
            }
            t1 = t2;
            t2 = t;
            t += dt;
            dst2 = isdst;
        }
        *guess = t - naive;
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::civil::{days_from_civil, DAY};

    fn mk(z: &LocalZone, y: i64, mo: i64, d: i64, h: i64, mi: i64, guess: &mut i64) -> i64 {
        z.mktime(days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60, guess)
            .unwrap()
    }

    #[test]
    fn posix_cet_matches_glibc() {
        let z = LocalZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let mut g = 0;
        // Values produced by glibc (python3 time.mktime) under the same TZ.
        assert_eq!(mk(&z, 2023, 10, 29, 2, 30, &mut g), 1_698_543_000);
        assert_eq!(mk(&z, 2023, 3, 26, 2, 30, &mut g), 1_679_794_200);
        assert_eq!(mk(&z, 2100, 7, 1, 0, 0, &mut g), 4_118_076_000);
        // After a summer reading the ambiguous hour resolves to CEST.
        mk(&z, 2023, 7, 1, 0, 0, &mut g);
        assert_eq!(mk(&z, 2023, 10, 29, 2, 30, &mut g), 1_698_539_400);
        assert_eq!(z.offset_at(1_690_000_000), (7200, true));
        assert_eq!(z.offset_at(1_700_000_000), (3600, false));
    }

    #[test]
    fn posix_us_and_south() {
        let z = LocalZone::from_posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        let mut g = 0;
        assert_eq!(mk(&z, 2023, 11, 5, 1, 30, &mut g), 1_699_162_200);
        assert_eq!(mk(&z, 2023, 3, 12, 2, 30, &mut g), 1_678_606_200);
        let dflt = LocalZone::from_posix("EST5EDT").unwrap();
        assert_eq!(dflt.offset_at(1_690_000_000), (-4 * 3600, true));
        let nz = LocalZone::from_posix("NZST-12NZDT,M9.5.0,M4.1.0/3").unwrap();
        assert_eq!(nz.offset_at(1_700_000_000).0, 13 * 3600);
        assert_eq!(nz.offset_at(1_690_000_000).0, 12 * 3600);
        assert!(LocalZone::from_posix("garbage/zone").is_none());
        assert_eq!(
            LocalZone::from_posix("<+0330>-3:30")
                .unwrap()
                .offset_at(0)
                .0,
            12_600
        );
        assert_eq!(LocalZone::from_posix("UTC0").unwrap(), LocalZone::utc());
    }

    #[test]
    fn tzif_files_when_present() {
        let Ok(data) = std::fs::read("/usr/share/zoneinfo/Europe/Berlin") else {
            return;
        };
        let z = LocalZone::from_tzif(&data).unwrap();
        assert_eq!(z.offset_at(1_690_000_000), (7200, true));
        assert_eq!(z.offset_at(1_700_000_000), (3600, false));
        assert_eq!(z.offset_at(4_118_076_000), (7200, true)); // via footer
        assert_eq!(z.offset_at(-5_000_000_000).0, 3208); // LMT
        let mut g = 0;
        assert_eq!(mk(&z, 2023, 10, 29, 2, 30, &mut g), 1_698_543_000);
        let resolved = LocalZone::from_tz_value(Some(":Europe/Berlin"), None);
        assert_eq!(resolved, z);
    }

    #[test]
    fn garbage_never_panics() {
        assert!(LocalZone::from_tzif(b"").is_none());
        assert!(
            LocalZone::from_tzif(b"TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\xff").is_none()
        );
        for s in [
            "",
            "<",
            "<ab>",
            "A",
            "ABC",
            "ABC+",
            "ABC-25:99:99DEF,M13.1.1",
            "ABC1DEF,J0",
            "ABC1DEF,M3.5.0/",
            "ABC1DEF,400",
            "XYZ1ABC,M3.1.0/-167,M10.5.0/167",
        ] {
            if let Some(z) = LocalZone::from_posix(s) {
                let _ = z.offset_at(1_700_000_000);
            }
        }
        assert_eq!(
            LocalZone::from_tz_value(Some(""), Some("/nonexistent")),
            LocalZone::utc()
        );
    }
}
