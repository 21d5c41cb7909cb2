-- Removes RmtRs's catalog version (db/catalog_tracking.sql), and the shared-row
-- design's if it is still there; RmtRs then reads product trees on every request.
-- The base row goes first, so RmtRs stops caching before any trigger is gone
-- (the table is created for that if it is missing, and dropped at the end).
CREATE TABLE IF NOT EXISTS rmt_rs_catalog_changes (
  connection_id bigint unsigned NOT NULL PRIMARY KEY,
  changes bigint unsigned NOT NULL
) ENGINE = InnoDB;
DELETE FROM rmt_rs_catalog_changes WHERE connection_id = 0;
DROP TRIGGER IF EXISTS rmt_rs_catalog_products_ai;
DROP TRIGGER IF EXISTS rmt_rs_catalog_products_au;
DROP TRIGGER IF EXISTS rmt_rs_catalog_products_ad;
DROP TRIGGER IF EXISTS rmt_rs_catalog_products_extensions_ai;
DROP TRIGGER IF EXISTS rmt_rs_catalog_products_extensions_au;
DROP TRIGGER IF EXISTS rmt_rs_catalog_products_extensions_ad;
DROP TRIGGER IF EXISTS rmt_rs_catalog_services_ai;
DROP TRIGGER IF EXISTS rmt_rs_catalog_services_au;
DROP TRIGGER IF EXISTS rmt_rs_catalog_services_ad;
DROP TRIGGER IF EXISTS rmt_rs_catalog_repositories_ai;
DROP TRIGGER IF EXISTS rmt_rs_catalog_repositories_au;
DROP TRIGGER IF EXISTS rmt_rs_catalog_repositories_ad;
DROP TRIGGER IF EXISTS rmt_rs_catalog_repositories_services_ai;
DROP TRIGGER IF EXISTS rmt_rs_catalog_repositories_services_au;
DROP TRIGGER IF EXISTS rmt_rs_catalog_repositories_services_ad;
DROP TRIGGER IF EXISTS rmt_rs_products_ai;
DROP TRIGGER IF EXISTS rmt_rs_products_au;
DROP TRIGGER IF EXISTS rmt_rs_products_ad;
DROP TRIGGER IF EXISTS rmt_rs_products_extensions_ai;
DROP TRIGGER IF EXISTS rmt_rs_products_extensions_au;
DROP TRIGGER IF EXISTS rmt_rs_products_extensions_ad;
DROP TRIGGER IF EXISTS rmt_rs_services_ai;
DROP TRIGGER IF EXISTS rmt_rs_services_au;
DROP TRIGGER IF EXISTS rmt_rs_services_ad;
DROP TRIGGER IF EXISTS rmt_rs_repositories_ai;
DROP TRIGGER IF EXISTS rmt_rs_repositories_au;
DROP TRIGGER IF EXISTS rmt_rs_repositories_ad;
DROP TRIGGER IF EXISTS rmt_rs_repositories_services_ai;
DROP TRIGGER IF EXISTS rmt_rs_repositories_services_au;
DROP TRIGGER IF EXISTS rmt_rs_repositories_services_ad;
DROP TABLE IF EXISTS rmt_rs_catalog_changes;
DROP TABLE IF EXISTS rmt_rs_catalog_versions;
