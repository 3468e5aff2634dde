//! The printed form of a failure id, where Rust can tell it for sure.
//!
//! Python prints an id as `str(Address.of(text, cidr))`: a raw id as
//! written, an address in glibc's `inet_ntop` form (`2001:DB8::1` →
//! `2001:db8::1`, `::ffff:1.2.3.4` → `1.2.3.4`), a subnet with its prefix.
//! [`printed_id`] answers only where the answer cannot differ from that:
//! a raw id, or an address written in its canonical form already, which
//! Rust's parser and printer confirm (Rust's IPv4 parser refuses leading
//! zeros as glibc's does, and both print IPv6 after RFC 5952: lower case,
//! the first longest run of two or more zero groups as `::`). Everything
//! else, left to Python, is `None`: subnets, prefixes, text that is not an
//! address, and IPv6 addresses whose first five groups are zero, which glibc
//! prints with a dotted IPv4 tail and Python turns into IPv4 when mapped.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::filter::finish::{CIDR_RAW, CIDR_UNSPEC, FAM_IPV4, FAM_IPV6};

/// `str(Address.of(text, cidr))`, when it is certain; `None` otherwise.
pub fn printed_id(text: &str, cidr: i32) -> Option<&str> {
    let (v4, v6) = match cidr {
        CIDR_RAW => return Some(text),
        // (an unspecified cidr takes a `/N` suffix: that is a subnet)
        CIDR_UNSPEC if text.contains('/') => return None,
        CIDR_UNSPEC => (true, true),
        FAM_IPV4 => (true, false),
        FAM_IPV6 => (false, true),
        _ => return None,
    };
    // (an IPv4 address Rust parses prints as written: four decimal octets
    // without leading zeros are the only form its parser takes)
    if v4 && text.parse::<Ipv4Addr>().is_ok() {
        return Some(text);
    }
    if v6 {
        if let Ok(addr) = text.parse::<Ipv6Addr>() {
            let dotted_tail = addr.segments()[..5].iter().all(|&s| s == 0);
            return (!dotted_tail && is_canonical_v6(text, addr)).then_some(text);
        }
    }
    None
}

/// `text` is `addr` in RFC 5952's form, which Rust prints for any address
/// but those whose first five groups are zero (the caller has left those
/// out): lower-case hex groups without leading zeros, the first longest run
/// of two or more zero groups as `::`. Written here, not with `write!`:
/// through `core::fmt`, `printed_id` ran 73M instructions for the 100k
/// records of 200k lines of the 50% log; this way, 51M.
fn is_canonical_v6(text: &str, addr: Ipv6Addr) -> bool {
    let groups = addr.segments();
    // the first longest run of zero groups: `(start, length)`
    let mut run = (groups.len(), 0);
    let mut at = 0;
    while at < groups.len() {
        let start = at;
        while at < groups.len() && groups[at] == 0 {
            at += 1;
        }
        if at - start > run.1 {
            run = (start, at - start);
        }
        at = at.max(start + 1);
    }
    let mut printed = Printed {
        bytes: [0; 48],
        len: 0,
    };
    let write_groups = |printed: &mut Printed, groups: &[u16]| {
        for (i, &group) in groups.iter().enumerate() {
            if i > 0 {
                printed.push(b':');
            }
            printed.push_hex(group);
        }
    };
    if run.1 >= 2 {
        write_groups(&mut printed, &groups[..run.0]);
        printed.push(b':');
        printed.push(b':');
        write_groups(&mut printed, &groups[run.0 + run.1..]);
    } else {
        write_groups(&mut printed, &groups);
    }
    printed.bytes[..printed.len] == *text.as_bytes()
}

/// `text` is what `addr` prints as (tests: the reference for
/// [`is_canonical_v6`]).
#[cfg(test)]
fn is_written_as(text: &str, addr: impl std::fmt::Display) -> bool {
    use std::fmt::Write;
    // (an address prints in at most 39 bytes: no allocation for the test)
    let mut printed = Printed {
        bytes: [0; 48],
        len: 0,
    };
    write!(printed, "{addr}").is_ok() && printed.bytes[..printed.len] == *text.as_bytes()
}

/// A fixed buffer that `write!` fills (and fails on overflow).
struct Printed {
    bytes: [u8; 48],
    len: usize,
}

impl Printed {
    /// (at most 39 bytes are ever written: 8 groups of 4, 7 colons)
    fn push(&mut self, byte: u8) {
        self.bytes[self.len] = byte;
        self.len += 1;
    }

    /// A group in lower-case hex, without leading zeros.
    fn push_hex(&mut self, group: u16) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut started = false;
        for shift in [12, 8, 4, 0] {
            let digit = usize::from((group >> shift) & 0xf);
            if digit != 0 || started || shift == 0 {
                started = true;
                self.push(DIGITS[digit]);
            }
        }
    }
}

#[cfg(test)]
impl std::fmt::Write for Printed {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::Just;

    proptest::proptest! {
        /// The hand-written RFC 5952 test agrees with Rust's printer, on
        /// addresses with runs of zero groups of every length and place.
        #[test]
        fn canonical_v6_is_what_rust_prints(
            groups in proptest::array::uniform8(proptest::prop_oneof![
                Just(0u16), Just(1u16), Just(0xffffu16), 0u16..=0xffff
            ]),
            upper in proptest::bool::ANY,
        ) {
            let addr = Ipv6Addr::from(groups);
            proptest::prop_assume!(!groups[..5].iter().all(|&g| g == 0));
            let printed = addr.to_string();
            proptest::prop_assert!(is_canonical_v6(&printed, addr), "{printed}");
            proptest::prop_assert!(is_written_as(&printed, addr));
            // other spellings of the same address are not its printed form
            let uncompressed = groups.iter().map(|g| format!("{g:x}")).collect::<Vec<_>>().join(":");
            proptest::prop_assert_eq!(
                is_canonical_v6(&uncompressed, addr),
                uncompressed == printed
            );
            if upper {
                let shouted = printed.to_uppercase();
                proptest::prop_assert_eq!(is_canonical_v6(&shouted, addr), shouted == printed);
            }
        }

        /// What [`printed_id`] takes for granted: an IPv4 text Rust parses
        /// prints back as written.
        #[test]
        fn parsed_ipv4_texts_print_as_written(text in "([0-9]|[1-9][0-9]{1,2}|0[0-9]{1,2})(\\.([0-9]|[1-9][0-9]{1,2}|0[0-9]{1,2})){3}") {
            if let Ok(addr) = text.parse::<Ipv4Addr>() {
                proptest::prop_assert_eq!(addr.to_string(), text);
            }
        }
    }

    #[test]
    fn raw_ids_print_as_written() {
        assert_eq!(printed_id("Some Host", CIDR_RAW), Some("Some Host"));
    }

    #[test]
    fn canonical_addresses_print_as_written() {
        for text in ["192.0.2.1", "2001:db8::1", "fe80::1:2", "1:0:0:2::3", "1::"] {
            assert_eq!(printed_id(text, CIDR_UNSPEC), Some(text), "{text}");
        }
        assert_eq!(printed_id("192.0.2.1", FAM_IPV4), Some("192.0.2.1"));
        assert_eq!(printed_id("2001:db8::1", FAM_IPV6), Some("2001:db8::1"));
    }

    #[test]
    fn everything_python_may_print_otherwise_is_left_to_it() {
        for text in [
            "2001:DB8::1",      // upper case
            "2001:db8:0:0::1",  // not compressed
            "::ffff:192.0.2.1", // IPv4-mapped: Python prints the IPv4 address
            "::192.0.2.1",      // glibc prints a dotted tail
            "::ffff:c000:201",
            "::1", // (printed as written, but any address starting with five zero groups is left)
            "192.0.2.01", // leading zero: not an address for glibc either
            "192.0.2.0/24",
            "host.example",
            "",
        ] {
            assert_eq!(printed_id(text, CIDR_UNSPEC), None, "{text}");
        }
        assert_eq!(printed_id("2001:db8::1", FAM_IPV4), None);
        assert_eq!(printed_id("192.0.2.1", FAM_IPV6), None);
        assert_eq!(printed_id("192.0.2.0", 24), None);
    }
}
