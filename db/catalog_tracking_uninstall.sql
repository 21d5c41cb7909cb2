-- Removes RmtRs's catalog version (db/catalog_tracking.sql); RmtRs then reads
-- product trees on every request.
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
DROP TABLE IF EXISTS rmt_rs_catalog_versions;
