//! Property tests over the core's input decoding: whatever JSON a client
//! sends, RmtRs either stores it exactly as Rails would or refuses it with a
//! clear error, and never panics.

use proptest::prelude::*;
use rmt_rs_core::rails::json::to_rails_json;
use rmt_rs_core::rails::value::StringColumn;
use rmt_rs_core::rmt::profiles;
use rmt_rs_core::Value;

fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::String),
        // What SQL injection and markup look like.
        Just(serde_json::Value::String("'; DROP TABLE systems; -- <script>&</script> \u{2028}".into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..8)
                .prop_map(|pairs| serde_json::Value::Object(pairs.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The stored hwinfo is valid JSON that reads back as what was sent.
    #[test]
    fn hwinfo_round_trips_through_rails_json(sent in json()) {
        let stored = to_rails_json(Some(&Value::from(sent.clone())));
        let read: serde_json::Value = serde_json::from_str(&stored).expect("valid JSON");
        prop_assert_eq!(read, sent);
    }

    /// Any profile map is sorted or refused with a 422, never a panic.
    #[test]
    fn profiles_are_sorted_or_refused(pairs in prop::collection::vec((any::<String>(), json()), 0..6)) {
        let pairs: Vec<(String, Value)> = pairs.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
        match profiles::partition(&pairs) {
            Ok(sorted) => prop_assert_eq!(sorted.complete.len() + sorted.incomplete.len() + sorted.invalid.len(), pairs.len()),
            Err(e) => prop_assert_eq!(e.status(), 422),
        }
    }

    /// Every scalar has the text Rails would write; structures are refused.
    #[test]
    fn column_text_is_defined_for_every_value(sent in json()) {
        let value = Value::from(sent.clone());
        let text = value.column_text(StringColumn::Varchar);
        prop_assert_eq!(text.is_err(), sent.is_array() || sent.is_object());
    }
}
