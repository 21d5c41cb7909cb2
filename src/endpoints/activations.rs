//! RMT's `GET /connect/systems/activations`
//! (`Systems::ActivationsController#index`): what `SUSEConnect --status` and
//! migrations read. The system's activations as RMT's `V3::ActivationSerializer`
//! renders them, each with its service and product tree, for the system the
//! authentication pipeline found.

use sqlx::{MySqlConnection, MySqlPool, Row};

use crate::answer::Answer;
use crate::auth::outcome::Outcome;
use crate::auth::pipeline::{self, Acting, ConnectRequest, Step};

use crate::error::{Error, Result};
use crate::rails::value::Value;
use crate::rmt::catalog;
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::flavor::Flavor;

/// RMT's `GET /connect/systems/activations`: the system's activations as
/// RMT's (or, with the engines, zypper_auth's) index renders them; with the
/// engines, once their checks on the system pass ([`Outcome::Verify`]).
pub async fn activations(pool: &MySqlPool, cache: &CatalogCache, request: &ConnectRequest) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, &Activations).await
}

struct Activations;

impl Step for Activations {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        let request = acting.request;
        let body = activations_json(conn, acting.cache, acting.system.id, &request.base_url, request.flavor).await?;
        let answer = Answer::ok(200, &body, "ActiveModel::Serializer::CollectionSerializer", None);
        acting.verified(conn, answer).await
    }
}

/// `@system.activations` (in the order of RMT's query), each with its
/// subscription's fields and its service.
pub async fn activations_json(
    conn: &mut MySqlConnection,
    cache: &CatalogCache,
    system_id: u64,
    base_url: &str,
    flavor: Flavor,
) -> Result<Value> {
    let rows = sqlx::query(
        "SELECT a.id, a.system_id, a.service_id, s.product_id, sub.regcode, sub.name, sub.status, \
           CAST(sub.starts_at AS CHAR) AS starts_at, CAST(sub.expires_at AS CHAR) AS expires_at, sub.kind \
         FROM (SELECT `activations`.* FROM `activations` WHERE `activations`.`system_id` = ?) a \
         JOIN services s ON s.id = a.service_id \
         LEFT JOIN subscriptions sub ON sub.id = a.subscription_id",
    )
    .bind(system_id as i64)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let product_id = row.try_get::<i64, _>("product_id")? as u64;
        let service_id = row.try_get::<i64, _>("service_id")? as u64;
        let product = catalog::products_with_ids(conn, &[product_id])
            .await?
            .pop()
            .ok_or_else(|| Error::Internal("An activated product vanished from the catalog".into()))?;
        let service = cache.tree(conn, &product).await?.service_json(service_id, product_id, base_url, flavor, "")?;
        let text = |column: &str| -> Result<Value> {
            Ok(row.try_get::<Option<String>, _>(column)?.map_or(Value::Null, Value::String))
        };
        let time = |column: &str| -> Result<Value> {
            Ok(row.try_get::<Option<String>, _>(column)?.map_or(Value::Null, |t| Value::String(json_time(&t))))
        };
        out.push(Value::Object(vec![
            ("id".into(), Value::Integer(row.try_get::<i64, _>("id")?.to_string())),
            ("system_id".into(), Value::Integer(row.try_get::<i64, _>("system_id")?.to_string())),
            ("service".into(), service),
            ("regcode".into(), text("regcode")?),
            ("name".into(), text("name")?),
            ("status".into(), enum_name(text("status")?, STATUSES)),
            ("starts_at".into(), time("starts_at")?),
            ("expires_at".into(), time("expires_at")?),
            ("type".into(), enum_name(text("kind")?, KINDS)),
        ]));
    }
    Ok(Value::Array(out))
}

/// `Subscription`'s enums: (name, stored value).
const STATUSES: &[(&str, &str)] = &[("expired", "EXPIRED"), ("active", "ACTIVE"), ("notactivated", "NOTACTIVATED")];
const KINDS: &[(&str, &str)] = &[
    ("is_test", "test"),
    ("full", "full"),
    ("evaluation", "evaluation"),
    ("oem", "oem"),
    ("internal", "internal"),
    ("partner", "partner"),
];

/// What an ActiveRecord enum reads for a stored value: its name, nil for a
/// value it does not map.
fn enum_name(stored: Value, mapping: &[(&str, &str)]) -> Value {
    let Value::String(stored) = stored else { return Value::Null };
    mapping.iter().find(|(_, value)| *value == stored).map_or(Value::Null, |(name, _)| Value::String(name.to_string()))
}

/// A UTC `datetime` as ActiveSupport's JSON writes a time: ISO 8601 with
/// milliseconds (`2026-11-24T09:40:02.000Z`).
fn json_time(stored: &str) -> String {
    let (date, clock) = stored.split_once(' ').unwrap_or((stored, "00:00:00"));
    let (seconds, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let millis: String = fraction.chars().chain(std::iter::repeat('0')).take(3).collect();
    format!("{date}T{seconds}.{millis}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_activesupport_writes_them() {
        assert_eq!(json_time("2026-11-24 09:40:02"), "2026-11-24T09:40:02.000Z");
        assert_eq!(json_time("2026-11-24 09:40:02.123456"), "2026-11-24T09:40:02.123Z");
    }
}
