//! Announces nobody should send: SUSEConnect's body bent in one way per kind,
//! the kind chosen by the instance number so every run sends the same mix.
//! What counts is that each gets a clear answer and that only what was
//! answered 201 is written; the report sets each path's answers side by side.

use serde_json::{json, Value};

use crate::suseconnect::{self, Version};

/// The kinds, in the order instances cycle through them.
pub const KINDS: [&str; 12] = [
    "well-formed",
    "SQL in strings",
    "markup and control characters",
    "4-byte characters",
    "hostname over 255 bytes",
    "hwinfo over 64 KiB",
    "nesting 200 deep",
    "wrong types",
    "profiles not objects",
    "blank new profile",
    "invalid UTF-8",
    "not JSON",
];

/// The kind and body instance `instance` sends.
pub fn announce_body(instance: usize) -> (&'static str, Vec<u8>) {
    let kind = KINDS[instance % KINDS.len()];
    let mut body: Value =
        serde_json::from_slice(&suseconnect::announce_body(Version::Current, instance, false)).unwrap_or_default();
    let variant = instance / KINDS.len();
    match kind {
        "SQL in strings" => {
            body["hostname"] = json!(format!("ip'); DROP TABLE systems; -- {variant}"));
            body["hwinfo"]["vendor"] = json!("' OR '1'='1");
        }
        "markup and control characters" => {
            body["hostname"] = json!(format!("<script>alert({variant})</script>\u{0}\t\r\n\u{7f}"));
        }
        "4-byte characters" => body["hostname"] = json!(format!("host-\u{1F680}-{variant}")),
        "hostname over 255 bytes" => body["hostname"] = json!("h".repeat(256 + variant % 1000)),
        "hwinfo over 64 KiB" => body["hwinfo"]["uname"] = json!("x".repeat(70_000 + variant % 100)),
        "nesting 200 deep" => {
            body["hwinfo"]["nested"] = (0..200).fold(json!(variant), |inner, _| json!([inner]));
        }
        "wrong types" => match variant % 4 {
            0 => body["hostname"] = json!({ "name": variant }),
            1 => body["hostname"] = json!([variant, "two"]),
            2 => body["hwinfo"] = json!("a string"),
            _ => body["system_profiles"] = json!([variant]),
        },
        "profiles not objects" => body["system_profiles"] = json!({ "pci_data": "lines" }),
        "blank new profile" => {
            body["system_profiles"] = json!({ "pci_data": { "identifier": format!("new-{variant}"), "data": "" } });
        }
        "invalid UTF-8" => {
            let marker = format!("ip-bad-{variant}");
            body["hostname"] = json!(marker);
            let text = serde_json::to_vec(&body).unwrap_or_default();
            return (kind, replace(&text, marker.as_bytes(), &[b'b', b'a', b'd', 0xff, 0xfe, 0xc3]));
        }
        "not JSON" => return (kind, [b"\x00\x01binary ".as_slice(), &variant.to_le_bytes(), b"\xff{"].concat()),
        _ => {}
    }
    (kind, serde_json::to_vec(&body).unwrap_or_default())
}

fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    match haystack.windows(needle.len()).position(|w| w == needle) {
        Some(at) => [&haystack[..at], with, &haystack[at + needle.len()..]].concat(),
        None => haystack.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_sent_and_bent_bodies_differ_from_the_well_formed_one() {
        let bodies: Vec<(&str, Vec<u8>)> = (0..KINDS.len()).map(announce_body).collect();
        let kinds: Vec<&str> = bodies.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, KINDS);
        let well_formed = suseconnect::announce_body(Version::Current, 0, false);
        assert_eq!(bodies[0].1, well_formed);
        assert!(std::str::from_utf8(&bodies[10].1).is_err(), "invalid UTF-8 is invalid");
        assert!(serde_json::from_slice::<Value>(&bodies[11].1).is_err(), "not JSON is not JSON");
        // Deeper than serde_json reads back (128), so count the brackets.
        let text = String::from_utf8_lossy(&bodies[6].1).into_owned();
        let nested = &text[text.find("\"nested\":").unwrap_or(0) + 9..];
        let depth = nested.chars().take_while(|c| *c == '[').count();
        assert_eq!(depth, 200);
    }
}
