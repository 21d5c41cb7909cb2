//! `RmtRs::Native.stats`: the core's per-process counters and this process's
//! pool, as a record (`seam::record`) that `RmtRs::Metrics` turns into RMT's
//! Prometheus metrics. Reads atomics only: no database, no GVL released.

use magnus::{prelude::*, Error, IntoValue, RHash, Ruby, Value};
use rmt_rs_core::stats;

/// `{unavailable: {cause => n}, deadlock_retries:, waiting:, pool: {size:,
/// open:, idle:} | nil, catalog: {hit:, miss:, untracked:} | nil}`; pool and
/// catalog are nil while this process has built no engine (a Puma master), so
/// that reading them never builds one.
fn snapshot(ruby: &Ruby) -> Result<RHash, Error> {
    let counted = stats::snapshot();
    let engine = crate::ENGINE.current();
    let pool = match &engine {
        Some(engine) => {
            let (size, open, idle) = engine.pool_state();
            let pool = [
                ("size", size.into_value_with(ruby)),
                ("open", open.into_value_with(ruby)),
                ("idle", idle.into_value_with(ruby)),
            ];
            crate::seam::record(ruby, pool)?.as_value()
        }
        None => ruby.qnil().as_value(),
    };
    let catalog = match &engine {
        Some(engine) => {
            let cache = engine.catalog_cache();
            let (hit, miss) = cache.stats();
            let catalog = [
                ("hit", hit.into_value_with(ruby)),
                ("miss", miss.into_value_with(ruby)),
                ("untracked", cache.untracked().into_value_with(ruby)),
            ];
            crate::seam::record(ruby, catalog)?.as_value()
        }
        None => ruby.qnil().as_value(),
    };
    crate::seam::record(
        ruby,
        [
            ("unavailable", counts(ruby, &counted.unavailable)?),
            ("deadlock_retries", counted.deadlock_retries.into_value_with(ruby)),
            ("waiting", counted.waiting.into_value_with(ruby)),
            ("pool", pool),
            ("catalog", catalog),
        ],
    )
}

/// `{label => n}` with String keys (labels, not record fields).
fn counts(ruby: &Ruby, counts: &[(&'static str, u64)]) -> Result<Value, Error> {
    let hash = ruby.hash_new();
    for (label, n) in counts {
        hash.aset(*label, *n)?;
    }
    Ok(hash.as_value())
}

pub fn define(native: magnus::RModule) -> Result<(), Error> {
    native.define_singleton_method("stats", magnus::function!(snapshot, 0))
}
