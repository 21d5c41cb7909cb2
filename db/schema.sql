-- RMT-compatible schema for the tables of the registration path (announce,
-- product activation, the keepalive, deregistration), matching RMT 2.28 as MariaDB reports it: same columns,
-- types, charsets, indexes and constraints, so RmtRs and RMT can share a database.
-- tests/schema_parity.rs checks it against RMT's own schema dump.
SET FOREIGN_KEY_CHECKS = 0;

CREATE TABLE IF NOT EXISTS products (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name varchar(255), description text, shortname varchar(255), former_identifier varchar(255),
  product_type varchar(255), product_class varchar(255), release_type varchar(255),
  release_stage varchar(255), identifier varchar(255), version varchar(255), arch varchar(255),
  eula_url varchar(255), free tinyint(1), cpe varchar(255), friendly_version varchar(255)
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS products_extensions (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  product_id bigint NOT NULL, extension_id bigint NOT NULL, recommended tinyint(1),
  root_product_id bigint NOT NULL, migration_extra tinyint(1) DEFAULT 0,
  UNIQUE KEY index_products_extensions_on_product_extension_root (product_id, extension_id, root_product_id),
  KEY index_products_extensions_on_extension_id (extension_id),
  KEY index_products_extensions_on_product_id (product_id),
  KEY fk_rails_7d0e68d364 (root_product_id),
  CONSTRAINT fk_rails_1c1adb4078 FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
  CONSTRAINT fk_rails_7d0e68d364 FOREIGN KEY (root_product_id) REFERENCES products (id),
  CONSTRAINT fk_rails_d228a5d6c6 FOREIGN KEY (extension_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS product_predecessors (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  product_id bigint NOT NULL, predecessor_id bigint, kind int NOT NULL DEFAULT 0,
  UNIQUE KEY index_product_predecessors_on_product_id_and_predecessor_id (product_id, predecessor_id),
  KEY fk_rails_ae2fd616af (predecessor_id),
  KEY index_product_predecessors_on_product_id (product_id),
  CONSTRAINT fk_rails_ae2fd616af FOREIGN KEY (predecessor_id) REFERENCES products (id),
  CONSTRAINT fk_rails_e8797ef6f4 FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS services (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  product_id bigint NOT NULL, created_at datetime NOT NULL, updated_at datetime NOT NULL,
  UNIQUE KEY index_services_on_product_id (product_id),
  CONSTRAINT fk_rails_acabe7613b FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS repositories (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  scc_id bigint unsigned, name varchar(255) NOT NULL, description varchar(255),
  enabled tinyint(1) NOT NULL DEFAULT 0, autorefresh tinyint(1) NOT NULL DEFAULT 1,
  external_url varchar(255) NOT NULL, auth_token varchar(255),
  installer_updates tinyint(1) NOT NULL DEFAULT 0, mirroring_enabled tinyint(1) NOT NULL DEFAULT 0,
  local_path varchar(512) NOT NULL, last_mirrored_at datetime, friendly_id varchar(255),
  UNIQUE KEY index_repositories_on_external_url (external_url),
  UNIQUE KEY index_repositories_on_friendly_id (friendly_id),
  UNIQUE KEY index_repositories_on_scc_id (scc_id)
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS repositories_services (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  repository_id bigint NOT NULL, service_id bigint NOT NULL,
  UNIQUE KEY index_repositories_services_on_service_id_and_repository_id (service_id, repository_id),
  KEY index_repositories_services_on_repository_id (repository_id),
  KEY index_repositories_services_on_service_id (service_id),
  CONSTRAINT fk_rails_24cbb571b8 FOREIGN KEY (repository_id) REFERENCES repositories (id) ON DELETE CASCADE,
  CONSTRAINT fk_rails_f1fc5c1e40 FOREIGN KEY (service_id) REFERENCES services (id) ON DELETE CASCADE
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS subscriptions (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  regcode varchar(255) NOT NULL, name varchar(255) NOT NULL, kind varchar(255) NOT NULL,
  status varchar(255) NOT NULL, starts_at datetime, expires_at datetime,
  system_limit int NOT NULL, systems_count int NOT NULL, virtual_count int,
  created_at datetime NOT NULL, updated_at datetime NOT NULL,
  KEY index_subscriptions_on_regcode (regcode)
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS subscription_product_classes (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  subscription_id bigint NOT NULL, product_class varchar(255) NOT NULL,
  UNIQUE KEY index_product_class_unique (subscription_id, product_class),
  KEY index_subscription_product_classes_on_subscription_id (subscription_id),
  CONSTRAINT fk_rails_1aae0e3ad2 FOREIGN KEY (subscription_id) REFERENCES subscriptions (id) ON DELETE CASCADE
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS systems (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  login varchar(255), password varchar(255), hostname varchar(255),
  registered_at datetime, last_seen_at datetime,
  created_at datetime NOT NULL, updated_at datetime NOT NULL, scc_registered_at datetime,
  scc_system_id bigint COMMENT 'System ID in SCC (if the system registration was forwarded; needed for forwarding de-registrations)',
  system_token varchar(255),
  system_information longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  instance_data text, proxy_byos_mode int DEFAULT 0, pubcloud_reg_code varchar(255),
  UNIQUE KEY index_systems_on_login_and_password_and_system_token (login, password, system_token),
  KEY index_systems_on_hostname (hostname),
  KEY index_systems_on_login_and_password (login, password),
  KEY index_systems_on_system_token (system_token),
  CONSTRAINT system_information CHECK (json_valid(system_information))
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS activations (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  service_id bigint NOT NULL, system_id bigint NOT NULL,
  created_at datetime NOT NULL, updated_at datetime NOT NULL, subscription_id bigint,
  UNIQUE KEY index_activations_on_system_id_and_service_id (system_id, service_id),
  KEY fk_rails_5ad14bc754 (service_id),
  KEY fk_rails_296466bd8d (subscription_id),
  KEY index_activations_on_system_id (system_id),
  CONSTRAINT fk_rails_296466bd8d FOREIGN KEY (subscription_id) REFERENCES subscriptions (id),
  CONSTRAINT fk_rails_5ad14bc754 FOREIGN KEY (service_id) REFERENCES services (id) ON DELETE CASCADE,
  CONSTRAINT fk_rails_e1f7b1621d FOREIGN KEY (system_id) REFERENCES systems (id) ON DELETE CASCADE
) ENGINE = InnoDB CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

CREATE TABLE IF NOT EXISTS profiles (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  profile_type varchar(255) NOT NULL, identifier varchar(255) NOT NULL, data longtext NOT NULL,
  last_synced_at timestamp NULL DEFAULT NULL,
  created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL,
  UNIQUE KEY index_profiles_on_profile_type_and_identifier (profile_type, identifier)
) ENGINE = InnoDB CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS system_profiles (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  system_id bigint NOT NULL, profile_id bigint NOT NULL,
  created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL,
  UNIQUE KEY index_system_profiles_on_system_id_and_profile_id (system_id, profile_id),
  KEY index_system_profiles_on_profile_id (profile_id),
  KEY index_system_profiles_on_system_id (system_id),
  CONSTRAINT fk_rails_4fc1eb8ffe FOREIGN KEY (system_id) REFERENCES systems (id),
  CONSTRAINT fk_rails_d9ba988235 FOREIGN KEY (profile_id) REFERENCES profiles (id)
) ENGINE = InnoDB CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS system_uptimes (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  system_id bigint NOT NULL,
  online_at_day date NOT NULL,
  online_at_hours varbinary(24) NOT NULL,
  created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL,
  UNIQUE KEY id_online_day (system_id, online_at_day),
  CONSTRAINT fk_rails_472cc756cd FOREIGN KEY (system_id) REFERENCES systems (id)
) ENGINE = InnoDB CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_520_ci;

CREATE TABLE IF NOT EXISTS deregistered_systems (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  scc_system_id bigint NOT NULL COMMENT 'SCC IDs of deregistered systems; used for forwarding to SCC',
  created_at datetime NOT NULL, updated_at datetime NOT NULL,
  UNIQUE KEY index_deregistered_systems_on_scc_system_id (scc_system_id)
) ENGINE = InnoDB CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_520_ci;

SET FOREIGN_KEY_CHECKS = 1;
