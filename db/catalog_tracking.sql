-- RmtRs's catalog version: one counter that every change to the tables the
-- product tree is built from bumps, in the changing transaction itself. RmtRs
-- caches product trees per process under the version it read, so a tree is
-- never served after a change to its catalog has committed. Without this
-- table RmtRs simply reads the tree on every request.
--
-- Install: bundle exec rake rmt_rs:catalog_tracking:install (or run this file).
-- Remove:  db/catalog_tracking_uninstall.sql.
CREATE TABLE IF NOT EXISTS rmt_rs_catalog_versions (
  id tinyint NOT NULL PRIMARY KEY,
  version bigint unsigned NOT NULL
) ENGINE = InnoDB;
INSERT IGNORE INTO rmt_rs_catalog_versions (id, version) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS rmt_rs_products_ai AFTER INSERT ON products FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_products_au AFTER UPDATE ON products FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_products_ad AFTER DELETE ON products FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_products_extensions_ai AFTER INSERT ON products_extensions FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_products_extensions_au AFTER UPDATE ON products_extensions FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_products_extensions_ad AFTER DELETE ON products_extensions FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_services_ai AFTER INSERT ON services FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_services_au AFTER UPDATE ON services FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_services_ad AFTER DELETE ON services FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_repositories_ai AFTER INSERT ON repositories FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_repositories_au AFTER UPDATE ON repositories FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_repositories_ad AFTER DELETE ON repositories FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_repositories_services_ai AFTER INSERT ON repositories_services FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_repositories_services_au AFTER UPDATE ON repositories_services FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS rmt_rs_repositories_services_ad AFTER DELETE ON repositories_services FOR EACH ROW UPDATE rmt_rs_catalog_versions SET version = version + 1 WHERE id = 1;
