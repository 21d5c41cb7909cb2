//! zypper_auth's instance verification cache (RMT's public-cloud engines,
//! `InstanceVerification`): a file per verified instance in a directory,
//! which the engines look through for every repository file a PAYG instance
//! downloads (nginx's auth check). The hit is the common case, and RMT pays
//! for it with a query for the system's base product and a scan of the whole
//! directory in Ruby. Here both happen without the GVL; the host takes the
//! hit branch (its registry cache update, in RMT's own Ruby) only when this
//! says the cache holds the entry, and otherwise runs RMT's verification
//! whole.

use std::path::PathBuf;

use sqlx::MySqlConnection;

use crate::error::Result;
use crate::rails::value::{is_blank_text, Value};
use crate::rmt::byos_mode::PAYG;

/// Where to look, as the host's request and RMT's settings say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The request's `remote_ip` (Rails' reading of the proxies' headers).
    pub remote_ip: String,
    /// `InstanceVerification.get_cache_path('payg')`, as RMT has it (relative
    /// paths count from the process's directory, as for Ruby's `Dir`).
    pub payg_dir: PathBuf,
}

/// Whether `InstanceVerification.verify_instance` would take its cache-hit
/// branch for the system of `columns` (RMT's record of it): a PAYG system
/// without a registration code (whose key is `ip-login-base product id`)
/// with exactly one base product (RMT's `find_by` picks one of several in
/// the database's order, which only its own query should decide), and a
/// first directory entry containing the key that is not `-inactive`. False
/// means the host asks RMT's Ruby, never that the instance is refused.
pub async fn payg_hit(
    conn: &mut MySqlConnection,
    system_id: u64,
    columns: &[(String, Value)],
    probe: &Probe,
) -> Result<bool> {
    let column = |name: &str| columns.iter().find(|(column, _)| column == name).map(|(_, value)| value);
    let payg = matches!(column("proxy_byos_mode"), Some(Value::Integer(mode)) if mode.parse() == Ok(PAYG));
    // `system.pubcloud_reg_code.present?` makes RMT decode the code first,
    // which fails for some values; those are RMT's to answer.
    let no_code = match column("pubcloud_reg_code") {
        None | Some(Value::Null) => true,
        Some(Value::String(code)) => is_blank_text(code),
        Some(_) => false,
    };
    let Some(Value::String(login)) = column("login") else { return Ok(false) };
    if !payg || !no_code {
        return Ok(false);
    }
    let Some(base) = only_base_product(conn, system_id).await? else { return Ok(false) };
    Ok(first_match_active(&probe.payg_dir, &format!("{}-{login}-{base}", probe.remote_ip)))
}

/// `system.products.find_by(product_type: 'base')` when it has exactly one.
async fn only_base_product(conn: &mut MySqlConnection, system_id: u64) -> Result<Option<i64>> {
    let sql = "SELECT DISTINCT `products`.`id` FROM `products` \
         INNER JOIN `services` ON `products`.`id` = `services`.`product_id` \
         INNER JOIN `activations` ON `services`.`id` = `activations`.`service_id` \
         WHERE `activations`.`system_id` = ? AND `products`.`product_type` = 'base' LIMIT 2";
    let found: Vec<(i64,)> = sqlx::query_as(sql).bind(system_id as i64).fetch_all(&mut *conn).await?;
    Ok(match found.as_slice() {
        [(id,)] => Some(*id),
        _ => None,
    })
}

/// `reg_code_in_cache?` and the check on what it found: the first entry, in
/// the directory's own order (`Dir.children` reads it as `read_dir` does),
/// whose name contains `key` (a substring: `1.2.3.4-a-5` is also found in
/// `11.2.3.4-a-55`, as in RMT), and that entry not marked `-inactive`. A
/// missing or unreadable directory holds nothing, as RMT rescues it; a name
/// that is not UTF-8 leaves the verdict to Ruby. One `read_dir` on the
/// runtime's thread: the directory holds a file per recent instance, read in
/// about the time of a query's round trip.
pub fn first_match_active(dir: &std::path::Path, key: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    for entry in entries {
        let Ok(entry) = entry else { return false };
        let name = entry.file_name();
        let Some(name) = name.to_str() else { return false };
        if name.contains(key) {
            return !name.contains("-inactive");
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(test: &str, names: &[&str]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rmt_rs_instance_cache_{}_{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for name in names {
            std::fs::write(dir.join(name), b"").unwrap();
        }
        dir
    }

    #[test]
    fn an_entry_containing_the_key_is_a_hit() {
        let dir = dir_with("hit", &["10.0.0.1-SCC_a-7"]);
        assert!(first_match_active(&dir, "10.0.0.1-SCC_a-7"));
        assert!(!first_match_active(&dir, "10.0.0.1-SCC_a-8"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_key_is_found_inside_longer_names_as_ruby_include_finds_it() {
        let dir = dir_with("inside", &["110.0.0.1-SCC_a-77", "other"]);
        assert!(first_match_active(&dir, "10.0.0.1-SCC_a-7"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_inactive_entry_is_no_hit() {
        let dir = dir_with("inactive", &["x-10.0.0.1-SCC_a-7-inactive", "y", "z"]);
        assert!(!first_match_active(&dir, "10.0.0.1-SCC_a-7"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_directory_holds_nothing() {
        assert!(!first_match_active(std::path::Path::new("/nonexistent/rmt_rs/cache"), "k"));
    }
}
