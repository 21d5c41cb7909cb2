//! The request parameters as RMT's controllers read them: `require_params`
//! with its message, and a parameter cast to its column's text.

use crate::error::{Error, Result};
use crate::rails::value::{StringColumn, Value};

pub(crate) fn param<'a>(params: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    params.iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

/// RMT's `require_params`: the keys must be there (in the legacy `payload`
/// JSON string when one is sent), empty or not.
pub(crate) fn require_params(params: &[(String, Value)], keys: &[&str]) -> Result<()> {
    let payload_keys: Option<Vec<String>> = match param(params, "payload") {
        Some(Value::String(text)) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => Some(map.keys().cloned().collect()),
            _ => return Err(Error::InvalidInput("The payload parameter is not a JSON object".into())),
        },
        _ => None,
    };
    let present = |key: &str| match &payload_keys {
        Some(keys) => keys.iter().any(|k| k == key),
        None => param(params, key).is_some(),
    };
    let missing: Vec<&str> = keys.iter().copied().filter(|key| !present(key)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!("Required parameters are missing or empty: {}", missing.join(", "))))
    }
}

pub(crate) fn text_param(params: &[(String, Value)], name: &str) -> Result<Option<String>> {
    match param(params, name) {
        None => Ok(None),
        Some(value) => {
            value.column_text(StringColumn::Varchar).map_err(|_| Error::InvalidInput("No product found".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_parameters_are_named_in_rmts_order() {
        let params = vec![("identifier".to_string(), Value::String("SLES".into()))];
        assert_eq!(
            require_params(&params, &["identifier", "version", "arch"]).unwrap_err().to_string(),
            "Required parameters are missing or empty: version, arch"
        );
        let payload = vec![("payload".to_string(), Value::String(r#"{"identifier":1,"version":2,"arch":""}"#.into()))];
        assert!(require_params(&payload, &["identifier", "version", "arch"]).is_ok());
    }
}
