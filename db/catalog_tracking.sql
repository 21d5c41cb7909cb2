-- RmtRs's catalog version: every change to the tables the product tree is
-- built from counts, in the changing transaction itself, and the version is the
-- sum of the counts. RmtRs caches product trees per process under the version it
-- read, so a tree is never served after a change to its catalog has committed.
-- Without the table (or before its base row is in) RmtRs reads the tree on every
-- request.
--
-- Why one row per connection: a shared counter row made every catalog-writing
-- transaction of RMT (a sync's product tree, the mirror's last_mirrored_at
-- stamps) wait for every other one to commit, even on disjoint rows, and
-- deadlock when they also crossed on other rows. A connection runs one
-- transaction at a time, so no two open transactions ever write the same row;
-- each row only grows, so the sum grows with every committed change. The row is
-- found on the primary key: MariaDB then locks that record only (no gap), at
-- RMT's REPEATABLE READ too, so a connection adding its row never waits either.
-- Rows of closed connections are folded into the base row (connection_id 0) by
-- RmtRs (`catalog_cache::compact`), keeping the sum, so the table stays small.
--
-- A row's key is its connection's id on its server, under the server's own
-- number (CRC-32 of host and port) in the upper 32 bits: on a Galera cluster
-- every node counts connections from 1, and two nodes' writers sharing a row
-- would make Galera refuse one of RMT's transactions (a certification conflict);
-- each node also folds only its own closed connections' rows. (An install before
-- this keyed rows by the connection id alone: those rows fold as before.)
--
-- Install: bundle exec rake rmt_rs:catalog_tracking:install (or run this file):
-- idempotent (it replaces the triggers of an earlier install), and it moves an
-- install of the shared-row design (rmt_rs_catalog_versions) to this one. Remove: db/catalog_tracking_uninstall.sql.
CREATE TABLE IF NOT EXISTS rmt_rs_catalog_changes (
  connection_id bigint unsigned NOT NULL PRIMARY KEY,
  changes bigint unsigned NOT NULL
) ENGINE = InnoDB;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_products_ai AFTER INSERT ON products FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_products_au AFTER UPDATE ON products FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_products_ad AFTER DELETE ON products FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_products_extensions_ai AFTER INSERT ON products_extensions FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_products_extensions_au AFTER UPDATE ON products_extensions FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_products_extensions_ad AFTER DELETE ON products_extensions FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_services_ai AFTER INSERT ON services FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_services_au AFTER UPDATE ON services FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_services_ad AFTER DELETE ON services FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_repositories_ai AFTER INSERT ON repositories FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_repositories_au AFTER UPDATE ON repositories FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_repositories_ad AFTER DELETE ON repositories FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_repositories_services_ai AFTER INSERT ON repositories_services FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_repositories_services_au AFTER UPDATE ON repositories_services FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
CREATE OR REPLACE TRIGGER rmt_rs_catalog_repositories_services_ad AFTER DELETE ON repositories_services FOR EACH ROW INSERT INTO rmt_rs_catalog_changes (connection_id, changes) VALUES ((CRC32(CONCAT(@@hostname, ':', @@port)) << 32) | (CONNECTION_ID() & 4294967295), 1) ON DUPLICATE KEY UPDATE changes = changes + 1;
-- The base row goes in last: only then does RmtRs cache, every trigger being in
-- place. It starts at the install time in microseconds, above any version an
-- earlier install (uninstalled since) can have reached, so a process that
-- cached a tree then cannot take a new version for that old one.
INSERT IGNORE INTO rmt_rs_catalog_changes (connection_id, changes)
  VALUES (0, CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS UNSIGNED));
-- The shared-row design, replaced: its triggers and counter. Processes still
-- running the RmtRs that read it then find no table and read every tree.
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
