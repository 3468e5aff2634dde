//! TZif files (RFC 8536, versions 1 to 4), evaluated like glibc's
//! `__tzfile_compute`: the 64-bit block is used when present; before the
//! first transition the first non-DST type applies; after the last one the
//! footer TZ string (if any) rules.  Leap-second records are skipped.

use super::posixtz::{parse_posix, LocalType, PosixZone};

/// Contents of a TZif file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileZone {
    transitions: Vec<i64>,
    type_index: Vec<usize>,
    types: Vec<LocalType>,
    footer: Option<PosixZone>,
}

impl FileZone {
    pub(crate) fn local_type(&self, t: i64) -> LocalType {
        let first_std = || {
            self.types
                .iter()
                .find(|ty| !ty.isdst)
                .or_else(|| self.types.first())
                .copied()
                .unwrap_or(LocalType {
                    offset: 0,
                    isdst: false,
                })
        };
        match (self.transitions.first(), self.transitions.last()) {
            (Some(&first), Some(&last)) => {
                if t < first {
                    first_std()
                } else if t >= last {
                    match &self.footer {
                        Some(p) => p.local_type(t),
                        None => self.types[self.type_index[self.type_index.len() - 1]],
                    }
                } else {
                    let i = self.transitions.partition_point(|&x| x <= t);
                    self.types[self.type_index[i - 1]]
                }
            }
            _ => first_std(),
        }
    }
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_i64(b: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

struct Counts {
    isut: usize,
    isstd: usize,
    leap: usize,
    time: usize,
    typ: usize,
    chars: usize,
}

fn read_header(b: &[u8], at: usize) -> Option<(u8, Counts)> {
    if b.get(at..at + 4)? != b"TZif" {
        return None;
    }
    let version = *b.get(at + 4)?;
    let c = |i: usize| be_u32(b, at + 20 + 4 * i).map(|v| v as usize);
    Some((
        version,
        Counts {
            isut: c(0)?,
            isstd: c(1)?,
            leap: c(2)?,
            time: c(3)?,
            typ: c(4)?,
            chars: c(5)?,
        },
    ))
}

fn block_len(c: &Counts, time_size: usize) -> Option<usize> {
    let leap_size = time_size + 4;
    c.time
        .checked_mul(time_size + 1)?
        .checked_add(c.typ.checked_mul(6)?)?
        .checked_add(c.chars)?
        .checked_add(c.leap.checked_mul(leap_size)?)?
        .checked_add(c.isstd)?
        .checked_add(c.isut)
}

pub(crate) fn parse_tzif(b: &[u8]) -> Option<FileZone> {
    let (version, c1) = read_header(b, 0)?;
    let v1_len = block_len(&c1, 4)?;
    let (c, data_at, time_size) = if version >= b'2' {
        let h2 = 44usize.checked_add(v1_len)?;
        let (_, c2) = read_header(b, h2)?;
        (c2, h2 + 44, 8)
    } else {
        (c1, 44, 4)
    };
    if c.typ == 0 {
        return None;
    }
    let mut at = data_at;
    let mut transitions = Vec::with_capacity(c.time);
    for _ in 0..c.time {
        let t = if time_size == 8 {
            be_i64(b, at)?
        } else {
            i64::from(be_u32(b, at)? as i32)
        };
        transitions.push(t);
        at += time_size;
    }
    let mut type_index = Vec::with_capacity(c.time);
    for _ in 0..c.time {
        let i = usize::from(*b.get(at)?);
        if i >= c.typ {
            return None;
        }
        type_index.push(i);
        at += 1;
    }
    let mut types = Vec::with_capacity(c.typ);
    for _ in 0..c.typ {
        let off = be_u32(b, at)? as i32;
        let isdst = *b.get(at + 4)? != 0;
        types.push(LocalType {
            offset: i64::from(off),
            isdst,
        });
        at += 6;
    }
    at = at.checked_add(c.chars)?;
    at = at.checked_add(c.leap.checked_mul(time_size + 4)?)?;
    at = at.checked_add(c.isstd)?.checked_add(c.isut)?;
    if at > b.len() {
        return None;
    }
    let footer = if time_size == 8 {
        let rest = &b[at..];
        match rest.strip_prefix(b"\n") {
            Some(r) => {
                let end = r.iter().position(|&x| x == b'\n').unwrap_or(r.len());
                let spec = &r[..end];
                if spec.is_empty() {
                    None
                } else {
                    Some(parse_posix(spec).unwrap_or(PosixZone {
                        std_offset: 0,
                        dst: None,
                    }))
                }
            }
            None => None,
        }
    } else {
        None
    };
    Some(FileZone {
        transitions,
        type_index,
        types,
        footer,
    })
}
