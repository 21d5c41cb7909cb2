//! The writes of RMT's product actions (activate, upgrade, destroy), each
//! answered with the product's service as RMT's `render_service` renders it,
//! and the second step of a public-cloud action, once the engines' checks passed.

use sqlx::MySqlConnection;

use super::checks::{related_product_ids, require_service};
use crate::answer::Answer;
use crate::auth::outcome::{Finishing, Outcome, Ticket};
use crate::auth::pipeline::{as_rmt, refreshed_token, Acting};
use crate::error::{code, Error, Result, NO_LONGER_EXISTS};
use crate::rails::clock::Timestamp;
use crate::rails::value::Value;
use crate::rmt::byos_mode::BYOS;
use crate::rmt::catalog::{self, Product};
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::flavor::Flavor;

/// What an action's write needs once its checks passed: the system, whether
/// its token is refreshed, where the answer's URLs point, the token handed
/// out, the request's instant.
pub(super) struct Writing<'a> {
    pub system_id: u64,
    pub refresh_token: bool,
    pub base_url: &'a str,
    pub flavor: Flavor,
    pub fresh_token: &'a str,
    pub now: Timestamp,
    pub cache: &'a CatalogCache,
}

impl<'a> Writing<'a> {
    /// For the system authentication found, in the same transaction.
    pub fn for_caller(acting: &Acting<'a>) -> Writing<'a> {
        let Acting { system, fresh_token, now, cache, request, .. } = *acting;
        let (base_url, flavor) = (request.base_url.as_str(), request.flavor);
        Writing { system_id: system.id, refresh_token: system.token_header, base_url, flavor, fresh_token, now, cache }
    }

    /// The service's JSON as RMT's `render_service` renders it (`obsoleted`
    /// as for [`catalog::Tree::service_json`]), and the system token handed out.
    async fn service_and_token(
        &self,
        conn: &mut MySqlConnection,
        service_id: u64,
        product: &Product,
        obsoleted: &str,
    ) -> Result<(Value, Option<String>)> {
        let tree = self.cache.tree(conn, product).await?;
        let body = tree.service_json(service_id, product.id, self.base_url, self.flavor, obsoleted)?;
        let token = refreshed_token(conn, self.system_id, self.refresh_token, self.fresh_token, self.now).await?;
        Ok((body, token))
    }
}

/// [`super::finish`]: the ticket's product read again, then its action.
pub(super) async fn finished(conn: &mut MySqlConnection, ticket: &Ticket, writing: &Writing<'_>) -> Result<Outcome> {
    let products = catalog::products_with_ids(conn, &[ticket.product_id]).await?;
    let Some(product) = products.first() else {
        return Ok(Outcome::Answer(Answer::error(422, "No product found", None)));
    };
    let answer = match ticket.finishes {
        // A system deleted meanwhile has no activation: RMT's "not yet activated".
        Finishing::Deactivation => deactivated(conn, writing, product).await,
        Finishing::Activation | Finishing::Upgrade => {
            // Read again: the engines' checks may have changed it (a hybrid system).
            let mode: Option<(Option<i32>,)> = sqlx::query_as("SELECT proxy_byos_mode FROM systems WHERE id = ?")
                .bind(ticket.system_id as i64)
                .fetch_optional(&mut *conn)
                .await?;
            let Some((mode,)) = mode else {
                return Ok(Outcome::Answer(Answer::error(422, NO_LONGER_EXISTS, None)));
            };
            if ticket.finishes == Finishing::Upgrade {
                upgraded(conn, writing, ticket, mode, product).await
            } else {
                write_and_answer(conn, writing, ticket, mode, product, None).await
            }
        }
    };
    as_rmt(answer, None, false)
}

/// RMT's `activate` action: the activation written, the system token
/// refreshed when the client uses tokens, and the product's service answered
/// (with the name of the service an upgrade obsoletes).
pub(super) async fn write_and_answer(
    conn: &mut MySqlConnection,
    writing: &Writing<'_>,
    ticket: &Ticket,
    proxy_byos_mode: Option<i32>,
    product: &Product,
    obsoleted: Option<String>,
) -> Result<Answer> {
    let created = write_activation(conn, ticket, proxy_byos_mode, writing.now).await?;
    let obsoleted = obsoleted.unwrap_or_default();
    let (body, token) = writing.service_and_token(conn, ticket.service_id, product, &obsoleted).await?;
    Ok(Answer { activations_changed: created, ..Answer::ok(201, &body, "V3::ServiceSerializer", token) })
}

/// RMT's `upgrade` action: the system's activations of the product, its
/// predecessors and its successors removed (each one's callback resets the
/// SCC sync time) and the product's written in their place, in one
/// transaction; the service answered (201) with the name of the one it
/// obsoletes.
pub(super) async fn upgraded(
    conn: &mut MySqlConnection,
    writing: &Writing<'_>,
    ticket: &Ticket,
    proxy_byos_mode: Option<i32>,
    product: &Product,
) -> Result<Answer> {
    // RMT fails with a 500 on a product without a service, its transaction
    // undone: refused before anything is written.
    let ticket = Ticket { service_id: require_service(conn, product).await?, ..*ticket };
    let ids = related_product_ids(conn, product).await?;
    let in_ids = catalog::placeholders(ids.len());
    // `@system.services.find_by(product_id: ids)`, as ActiveRecord asks it.
    let sql = format!(
        "SELECT services.product_id FROM services INNER JOIN activations ON services.id = activations.service_id \
         WHERE activations.system_id = ? AND services.product_id IN ({in_ids}) LIMIT 1"
    );
    let mut query = sqlx::query_as::<_, (i64,)>(&sql).bind(ticket.system_id as i64);
    for id in &ids {
        query = query.bind(*id);
    }
    let obsoleted = match query.fetch_optional(&mut *conn).await? {
        Some((id,)) => catalog::products_with_ids(conn, &[id as u64]).await?.pop().map(|p| p.service_name()),
        None => None,
    };
    let sql = format!(
        "DELETE activations FROM activations INNER JOIN services ON services.id = activations.service_id \
         WHERE activations.system_id = ? AND services.product_id IN ({in_ids})"
    );
    let mut query = sqlx::query(&sql).bind(ticket.system_id as i64);
    for id in &ids {
        query = query.bind(*id);
    }
    let removed = query.execute(&mut *conn).await?.rows_affected() > 0;
    if removed {
        reset_scc_sync(conn, ticket.system_id, writing.now).await?;
    }
    let answer = write_and_answer(conn, writing, &ticket, proxy_byos_mode, product, obsoleted).await?;
    Ok(Answer { activations_changed: answer.activations_changed || removed, ..answer })
}

/// RMT's `destroy` action: its checks with its messages, the activation
/// deleted (its callback resets the SCC sync time), the token refreshed for
/// a token client, the service answered (200).
pub(super) async fn deactivated(
    conn: &mut MySqlConnection,
    writing: &Writing<'_>,
    product: &Product,
) -> Result<Answer> {
    let system_id = writing.system_id;
    let name = product.name.clone().unwrap_or_default();
    if product.is_base() {
        return Err(Error::InvalidInput(format!("The product \"{name}\" is a base product and cannot be deactivated")));
    }
    let dependent: Option<(i64,)> = sqlx::query_as(
        "SELECT activations.id FROM activations INNER JOIN services ON services.id = activations.service_id \
         INNER JOIN products_extensions ON products_extensions.extension_id = services.product_id \
         WHERE activations.system_id = ? AND products_extensions.product_id = ? LIMIT 1",
    )
    .bind(system_id as i64)
    .bind(product.id as i64)
    .fetch_optional(&mut *conn)
    .await?;
    if dependent.is_some() {
        return Err(Error::InvalidInput(format!(
            "Cannot deactivate the product \"{name}\". Other activated products depend upon it."
        )));
    }
    let not_activated = || Error::InvalidInput(format!("{name} is not yet activated on the system."));
    // A product without a service cannot be activated either (RMT fails with a 500 there).
    let service: Option<(i64,)> = sqlx::query_as("SELECT id FROM services WHERE product_id = ? LIMIT 1")
        .bind(product.id as i64)
        .fetch_optional(&mut *conn)
        .await?;
    let service_id = service.ok_or_else(not_activated)?.0 as u64;
    let deleted = sqlx::query("DELETE FROM activations WHERE system_id = ? AND service_id = ? LIMIT 1")
        .bind(system_id as i64)
        .bind(service_id as i64)
        .execute(&mut *conn)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(not_activated());
    }
    reset_scc_sync(conn, system_id, writing.now).await?;
    let (body, token) = writing.service_and_token(conn, service_id, product, "").await?;
    let answer = Answer::ok(200, &body, "V3::ServiceSerializer", token);
    Ok(Answer { activations_changed: true, ..answer }
        .logged(format!("Product '{}' deactivated", product.friendly_name())))
}

/// RMT's `create_product_activation`: the activation of the product's service,
/// created once (a concurrent duplicate finds the winner's row), with the
/// subscription attached outside BYOS. Changes reset the system's SCC sync time.
/// Whether it created the activation.
pub(super) async fn write_activation(
    conn: &mut MySqlConnection,
    ticket: &Ticket,
    proxy_byos_mode: Option<i32>,
    now: Timestamp,
) -> Result<bool> {
    let (system_id, service_id, subscription) = (ticket.system_id, ticket.service_id, ticket.subscription_id);
    let seconds = now.seconds();
    let find = || {
        sqlx::query_as::<_, (i64, Option<i64>)>(
            "SELECT id, subscription_id FROM activations WHERE system_id = ? AND service_id = ? LIMIT 1",
        )
        .bind(system_id as i64)
        .bind(service_id as i64)
    };
    let mut created = false;
    let (activation_id, current) = match find().fetch_optional(&mut *conn).await? {
        Some(found) => found,
        None => {
            let inserted = sqlx::query(
                "INSERT INTO activations (service_id, system_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
            )
            .bind(service_id as i64)
            .bind(system_id as i64)
            .bind(&seconds)
            .bind(&seconds)
            .execute(&mut *conn)
            .await;
            match inserted {
                Ok(done) => {
                    created = true;
                    reset_scc_sync(conn, system_id, now).await?;
                    (done.last_insert_id() as i64, None)
                }
                Err(e) if Error::mariadb_code(&e) == Some(code::DUPLICATE_KEY) => {
                    // Another request of this system activated it first: use its row.
                    sqlx::query_as::<_, (i64, Option<i64>)>(
                        "SELECT id, subscription_id FROM activations WHERE system_id = ? AND service_id = ? \
                         LOCK IN SHARE MODE",
                    )
                    .bind(system_id as i64)
                    .bind(service_id as i64)
                    .fetch_one(&mut *conn)
                    .await?
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    if proxy_byos_mode == Some(BYOS) {
        return Ok(created);
    }
    if let Some(subscription) = subscription.filter(|s| Some(*s) != current) {
        sqlx::query("UPDATE activations SET subscription_id = ?, updated_at = ? WHERE id = ?")
            .bind(subscription)
            .bind(&seconds)
            .bind(activation_id)
            .execute(&mut *conn)
            .await?;
        reset_scc_sync(conn, system_id, now).await?;
    }
    Ok(created)
}

/// RMT's activation callbacks: the system is synced to SCC again.
pub(super) async fn reset_scc_sync(conn: &mut MySqlConnection, system_id: u64, now: Timestamp) -> Result<()> {
    sqlx::query(
        "UPDATE systems SET scc_registered_at = NULL, updated_at = ? WHERE id = ? AND scc_registered_at IS NOT NULL",
    )
    .bind(now.seconds())
    .bind(system_id as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
