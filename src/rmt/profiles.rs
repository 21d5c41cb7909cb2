//! System profiles as RMT's `Profile.filter_profiles` sorts them, and their
//! find-or-create on the `(profile_type, identifier)` unique index.

use sqlx::MySqlConnection;

use crate::error::{Error, Result};
use crate::rails::clock::Timestamp;
use crate::rails::value::{is_blank_text, StringColumn, Value};

/// A profile with a non-empty identifier and a `data` key (its value may be
/// anything, even null: it only matters if the profile has to be created).
#[derive(Debug, Clone, PartialEq)]
pub struct CompleteProfile {
    pub profile_type: String,
    pub identifier: String,
    pub data: Value,
}

#[derive(Debug, Default, PartialEq)]
pub struct Partition {
    pub complete: Vec<CompleteProfile>,
    /// Type and identifier (as sent) of profiles with an identifier but no
    /// `data` key: a client may send a profile it sent before so.
    pub incomplete: Vec<(String, Value)>,
    /// Types of profiles without a usable identifier.
    pub invalid: Vec<String>,
}

impl Partition {
    /// RMT then answers with `X-System-Profiles-Action: clear-cache` so the client
    /// sends full profiles next time.
    pub fn needs_cache_clear(&self) -> bool {
        !self.incomplete.is_empty() || !self.invalid.is_empty()
    }
}

/// Sorts `profile_type => {identifier, data}` pairs, keeping the client's order.
pub fn partition(profiles: &[(String, Value)]) -> Result<Partition> {
    let mut out = Partition::default();
    for (profile_type, info) in profiles {
        if !matches!(info, Value::Object(_)) {
            return Err(Error::InvalidInput(format!(
                "System profile '{profile_type}' must be an object with identifier and data"
            )));
        }
        let identifier = info.get("identifier").filter(|v| v.is_present());
        let Some(identifier) = identifier else {
            out.invalid.push(profile_type.clone());
            continue;
        };
        let Some(data) = info.get("data") else {
            out.incomplete.push((profile_type.clone(), identifier.clone()));
            continue;
        };
        let identifier = identifier
            .column_text(StringColumn::Varchar)
            .map_err(|kind| {
                Error::InvalidInput(format!("System profile '{profile_type}': identifier must be a string, not {kind}"))
            })?
            .unwrap_or_default();
        out.complete.push(CompleteProfile { profile_type: profile_type.clone(), identifier, data: data.clone() });
    }
    Ok(out)
}

/// The id of the profile with this type and identifier, created if missing.
///
/// Both reads lock the row they find (shared, so registrations sharing a
/// profile do not wait for each other): RMT's orphan cleanup
/// (`SystemProfile#destroy_orphaned_profile`) deletes a profile it finds
/// unlinked while holding its row lock, so without the lock it could delete
/// the row between this read and the link's insert, which would then fail
/// (error 1452). Locked, the cleanup waits for this transaction and then sees
/// the link. Concurrent registrations race to create the same profile: the
/// unique index lets one insert win, and the losers read the winner's row;
/// a locking read sees the newest committed row whatever the snapshot.
pub async fn find_or_create(conn: &mut MySqlConnection, profile: &CompleteProfile, now: Timestamp) -> Result<u64> {
    const FIND: &str =
        "SELECT id FROM profiles WHERE profile_type = ? AND identifier = ? ORDER BY id LIMIT 1 LOCK IN SHARE MODE";
    let found: Option<(i64,)> =
        sqlx::query_as(FIND).bind(&profile.profile_type).bind(&profile.identifier).fetch_optional(&mut *conn).await?;
    if let Some((id,)) = found {
        return Ok(id as u64);
    }
    let data = validated_data(profile)?;
    let created_at = now.micros();
    let inserted = sqlx::query(
        "INSERT INTO profiles (profile_type, identifier, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&profile.profile_type)
    .bind(&profile.identifier)
    .bind(&data)
    .bind(&created_at)
    .bind(&created_at)
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(done) => Ok(done.last_insert_id()),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            let (id,): (i64,) = sqlx::query_as(FIND)
                .bind(&profile.profile_type)
                .bind(&profile.identifier)
                .fetch_one(&mut *conn)
                .await?;
            Ok(id as u64)
        }
        Err(e) => Err(e.into()),
    }
}

/// The checks RMT's `Profile` validations make before a create, with their
/// messages (`ActiveRecord::RecordInvalid`, a 422 in Rails).
fn validated_data(profile: &CompleteProfile) -> Result<String> {
    if profile.profile_type.chars().all(char::is_whitespace) {
        return Err(Error::InvalidInput("Validation failed: Profile type can't be blank".into()));
    }
    // Rails validates the cast value: `false` is stored as "f", which is present.
    let data = profile.data.column_text(StringColumn::Text).map_err(|kind| {
        Error::InvalidInput(format!("System profile '{}': data must be a string, not {kind}", profile.profile_type))
    })?;
    match data {
        Some(text) if !is_blank_text(&text) => Ok(text),
        _ => Err(Error::InvalidInput("Validation failed: Data can't be blank".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }
    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn sorts_complete_incomplete_and_invalid_in_client_order() {
        let profiles = vec![
            ("cpu".to_string(), info(&[("identifier", s("c1")), ("data", s("x"))])),
            ("mem".to_string(), info(&[("identifier", s("m1"))])),
            ("pci".to_string(), info(&[("identifier", s("  ")), ("data", s("x"))])),
            ("nul".to_string(), info(&[("identifier", s("n1")), ("data", Value::Null)])),
            ("num".to_string(), info(&[("identifier", Value::Integer("42".into())), ("data", s("y"))])),
            ("none".to_string(), info(&[("data", s("x"))])),
        ];
        let p = partition(&profiles).unwrap();
        let complete: Vec<_> = p.complete.iter().map(|c| (c.profile_type.as_str(), c.identifier.as_str())).collect();
        assert_eq!(complete, [("cpu", "c1"), ("nul", "n1"), ("num", "42")]);
        assert_eq!(p.incomplete, [("mem".to_string(), s("m1"))]);
        assert_eq!(p.invalid, ["pci", "none"]);
        assert!(p.needs_cache_clear());
    }

    #[test]
    fn only_complete_profiles_need_no_cache_clear() {
        let profiles = vec![("cpu".to_string(), info(&[("identifier", s("c1")), ("data", s("x"))]))];
        assert!(!partition(&profiles).unwrap().needs_cache_clear());
        assert!(!partition(&[]).unwrap().needs_cache_clear());
    }

    #[test]
    fn a_profile_that_is_not_an_object_is_refused() {
        let err = partition(&[("cpu".to_string(), s("x"))]).unwrap_err();
        assert_eq!(err.status(), 422);
    }

    #[test]
    fn data_is_validated_like_rmt_before_a_create() {
        let p = |data: Value| CompleteProfile { profile_type: "cpu".into(), identifier: "c".into(), data };
        assert_eq!(validated_data(&p(s("abc"))).unwrap(), "abc");
        assert_eq!(validated_data(&p(Value::Integer("7".into()))).unwrap(), "7");
        assert_eq!(validated_data(&p(Value::Bool(true))).unwrap(), "t");
        // Rails validates the cast text, and `false` casts to "f".
        assert_eq!(validated_data(&p(Value::Bool(false))).unwrap(), "f");
        for blank in [Value::Null, s(" "), s("")] {
            assert_eq!(validated_data(&p(blank)).unwrap_err().to_string(), "Validation failed: Data can't be blank");
        }
        // Only Ruby reproduces the inspect text Rails stores for these.
        for structured in [Value::Array(vec![]), Value::Array(vec![s("x")]), Value::Object(vec![])] {
            assert_eq!(validated_data(&p(structured)).unwrap_err().status(), 422);
        }
    }
}
