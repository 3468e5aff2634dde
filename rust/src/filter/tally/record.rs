//! One match record of the tool's JSON report, as Python writes it:
//! `{"line": N, "id": ID, "time": T, "fields": {...}}`, the fields being
//! `fields_for_output(failure.data)` (no `None` values, no bookkeeping
//! keys; sets as sorted lists, tuples as lists, addresses printed).

use super::address::printed_id;
use super::json::{write_i64, write_opt_float, write_str, write_u64, Unwritable};
use crate::filter::fields::{keys, Fields, Key, Value};
use crate::filter::{FailureId, FoundFailure};

/// Keys of the failure data that are bookkeeping, not fields.
const INTERNAL: [Key; 3] = [keys::MATCHES, keys::NOFAIL_MATCHES, keys::MLFPENDING];

/// Appends the record of `failure`, found on 1-based line `line`, to `out`.
/// On `Err`, `out` may hold part of it (the caller cuts it off).
pub fn write_record(out: &mut String, line: u64, failure: &FoundFailure) -> Result<(), Unwritable> {
    out.push_str("{\"line\": ");
    write_u64(out, line);
    out.push_str(", \"id\": ");
    match &failure.id {
        FailureId::Pending => out.push_str("null"),
        FailureId::Raw { text, cidr } => write_str(out, printed_id(text, *cidr).ok_or(Unwritable)?),
        FailureId::Dns { .. } => return Err(Unwritable),
    }
    out.push_str(", \"time\": ");
    write_opt_float(out, failure.when)?;
    out.push_str(", \"fields\": ");
    write_fields(out, &failure.data)?;
    out.push('}');
    Ok(())
}

fn write_fields(out: &mut String, data: &Fields) -> Result<(), Unwritable> {
    out.push('{');
    let mut first = true;
    for (key, value) in data.iter() {
        if matches!(value, Value::None) || INTERNAL.contains(&key) {
            continue;
        }
        if !first {
            out.push_str(", ");
        }
        first = false;
        if key.json_plain() {
            out.push('"');
            out.push_str(key.as_str());
            out.push_str("\": ");
        } else {
            write_str(out, key.as_str());
            out.push_str(": ");
        }
        write_value(out, value)?;
    }
    out.push('}');
    Ok(())
}

fn write_value(out: &mut String, value: &Value) -> Result<(), Unwritable> {
    match value {
        Value::None => out.push_str("null"),
        Value::Str(s) => write_str(out, s),
        Value::Int(i) => write_i64(out, *i),
        Value::Tuple(items) => write_list(out, items.iter().map(|i| i.as_deref())),
        Value::Users(users) => {
            // a Python set, printed sorted (code point order is byte order in UTF-8)
            let mut names = users
                .iter()
                .map(|u| match u {
                    Value::Str(s) => Ok(s.as_str()),
                    _ => Err(Unwritable),
                })
                .collect::<Result<Vec<&str>, _>>()?;
            names.sort_unstable();
            names.dedup();
            write_list(out, names.into_iter().map(Some));
        }
        Value::Addr(text, cidr) => write_str(out, printed_id(text, *cidr).ok_or(Unwritable)?),
        // (lines under a key other than the bookkeeping ones: left to Python)
        Value::Lines(_) => return Err(Unwritable),
    }
    Ok(())
}

/// A list of strings and `null`s.
fn write_list<'a>(out: &mut String, items: impl Iterator<Item = Option<&'a str>>) {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match item {
            Some(s) => write_str(out, s),
            None => out.push_str("null"),
        }
    }
    out.push(']');
}
