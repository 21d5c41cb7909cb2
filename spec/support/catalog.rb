# frozen_string_literal: true

# A realistic RMT catalog as a sync with SCC leaves it: SLES 15 SP6 x86_64 with
# its usual modules and extensions, repositories mirrored, plus the odd cases
# activation has to handle (an extension that needs a module, a second-level
# extension, a product without repositories, unmirrored repositories, a
# predecessor, another base product, regcode subscriptions). Written with SQL,
# so the specs and the benchmarks share it.
module Catalog
  SLES = { identifier: "SLES", version: "15.6", arch: "x86_64" }.freeze
  MIRRORED_AT = "2026-11-20 03:00:00"

  # id, identifier, name, type, product_class, free, friendly_version, extra
  PRODUCTS = [
    [2600, "SLES", "SUSE Linux Enterprise Server", "base", "7261", false, "15 SP6",
     { eula_url: "https://updates.suse.com/SUSE/Products/SLE-Product-SLES/15-SP6/x86_64/product.license/",
       cpe: "cpe:/o:suse:sles:15:sp6", description: "SUSE Linux Enterprise offers a comprehensive suite of products." }],
    [2500, "SLES", "SUSE Linux Enterprise Server", "base", "7261", false, "15 SP5", { version: "15.5" }],
    [2610, "SLED", "SUSE Linux Enterprise Desktop", "base", "SLED", false, "15 SP6", {}],
    [2601, "sle-module-basesystem", "Basesystem Module", "module", "MODULE", true, "15 SP6",
     { cpe: "cpe:/o:suse:sle-module-basesystem:15:sp6", description: "<p>Basesystem & more</p>" }],
    [2602, "sle-module-server-applications", "Server Applications Module", "module", "MODULE", true, "15 SP6", {}],
    [2603, "sle-module-desktop-applications", "Desktop Applications Module", "module", "MODULE", true, "15 SP6", {}],
    [2604, "sle-module-development-tools", "Development Tools Module", "module", "MODULE", true, "15 SP6", {}],
    [2605, "sle-module-web-scripting", "Web and Scripting Module", "module", "MODULE", true, "15 SP6", {}],
    [2606, "sle-module-legacy", "Legacy Module", "module", "MODULE", true, "15 SP6", {}],
    [2607, "sle-module-public-cloud", "Public Cloud Module", "module", "MODULE", true, "15 SP6", {}],
    [2608, "sle-module-containers", "Containers Module", "module", "MODULE", true, "15 SP6", {}],
    [2609, "sle-module-python3", "Python 3 Module", "module", "MODULE", true, "15 SP6", {}],
    [2620, "sle-ha", "SUSE Linux Enterprise High Availability Extension", "extension", "SLE-HAE-X86", false, "15 SP6",
     { eula_url: "https://updates.suse.com/SUSE/Products/SLE-HA/15-SP6/x86_64/product.license/" }],
    [2621, "sle-ha-geo", "SUSE Linux Enterprise High Availability GEO Extension", "extension", "SLE-HAE-GEO", false,
     "15 SP6", {}],
    [2630, "PackageHub", "SUSE Package Hub", "extension", "MODULE", true, "15 SP6", { release_stage: "released" }],
    [2640, "sle-module-live-patching", "SUSE Linux Enterprise Live Patching", "module", "SLE-LP", false, "15 SP6", {}]
  ].freeze

  # base product id => extension ids, all for the root SLES 15 SP6 (2600); the
  # recommended ones are what SUSEConnect activates on its own: Basesystem and
  # Server Applications (SCC marks Public Cloud and Containers not recommended).
  TREE = {
    2600 => [[2601, true], [2620, false], [2640, false]],
    2601 => [[2602, true], [2603, false], [2609, false], [2630, false]],
    2602 => [[2605, false], [2606, false], [2607, false], [2608, false]],
    2603 => [[2604, false]],
    2620 => [[2621, false]]
  }.freeze

  module_function

  def seed(db)
    db.query("SET FOREIGN_KEY_CHECKS = 0")
    %w[products products_extensions product_predecessors services repositories repositories_services
       subscriptions subscription_product_classes].each { |table| db.query("DELETE FROM #{table}") }
    db.query("SET FOREIGN_KEY_CHECKS = 1")
    PRODUCTS.each { |row| insert_product(db, *row) }
    TREE.each do |product_id, extensions|
      extensions.each do |extension_id, recommended|
        db.query("INSERT INTO products_extensions (product_id, extension_id, recommended, root_product_id) " \
                 "VALUES (#{product_id}, #{extension_id}, #{recommended}, 2600)")
      end
    end
    # The Basesystem Module is also an extension of SLED (another root).
    db.query("INSERT INTO products_extensions (product_id, extension_id, recommended, root_product_id) " \
             "VALUES (2610, 2601, TRUE, 2610)")
    db.query("INSERT INTO product_predecessors (product_id, predecessor_id, kind) VALUES (2600, 2500, 0)")
    seed_subscriptions(db)
  end

  def insert_product(db, id, identifier, name, type, product_class, free, friendly_version, extra)
    version = extra.fetch(:version, "15.6")
    db.query(<<~SQL)
      INSERT INTO products (id, name, description, identifier, version, arch, product_type, product_class, free,
        friendly_version, release_stage, eula_url, cpe, release_type)
      VALUES (#{id}, #{q(name)}, #{q(extra[:description])}, #{q(identifier)}, #{q(version)}, 'x86_64', #{q(type)},
        #{q(product_class)}, #{free}, #{q(friendly_version)}, #{q(extra.fetch(:release_stage, 'released'))},
        #{q(extra[:eula_url])}, #{q(extra[:cpe])}, NULL)
    SQL
    return if id == 2640 # no service, no repositories

    db.query("INSERT INTO services (id, product_id, created_at, updated_at) VALUES (#{id}, #{id}, NOW(), NOW())")
    repositories_for(id, identifier, version).each_with_index do |(kind, enabled, mirrored), index|
      repo_id = id * 10 + index
      path = "/SUSE/Updates/#{identifier}/#{version}/x86_64/#{kind}/"
      db.query(<<~SQL)
        INSERT INTO repositories (id, scc_id, name, description, enabled, autorefresh, external_url, installer_updates,
          mirroring_enabled, local_path, last_mirrored_at, friendly_id)
        VALUES (#{repo_id}, #{repo_id + 5000}, #{q("#{identifier}-#{kind}")}, #{q("#{identifier}-#{kind} for x86_64")},
          #{enabled}, #{kind != 'Pool'}, #{q("https://updates.suse.com#{path}")}, FALSE, #{mirrored}, #{q(path)},
          #{mirrored ? q(MIRRORED_AT) : 'NULL'}, #{q("#{repo_id + 5000}")})
      SQL
      db.query("INSERT INTO repositories_services (repository_id, service_id) VALUES (#{repo_id}, #{id})")
    end
  end

  # [kind, enabled, mirrored]: Pool and Updates are the mandatory (enabled)
  # ones; Package Hub's are enabled but not mirrored.
  def repositories_for(id, _identifier, _version)
    hub = id == 2630
    [["Pool", true, !hub], ["Updates", true, !hub], ["Debuginfo-Updates", false, false], ["Source-Pool", false, false]]
  end

  def seed_subscriptions(db)
    [[1, "SLES-REGCODE", "ACTIVE", "2030-01-01 00:00:00", %w[7261 SLE-HAE-X86]],
     [2, "EXPIRED-REGCODE", "EXPIRED", "2020-01-01 00:00:00", %w[7261]],
     [3, "SLED-REGCODE", "ACTIVE", "2030-01-01 00:00:00", %w[SLED]]].each do |id, regcode, status, expires, classes|
      db.query(<<~SQL)
        INSERT INTO subscriptions (id, regcode, name, kind, status, starts_at, expires_at, system_limit, systems_count,
          created_at, updated_at)
        VALUES (#{id}, #{q(regcode)}, #{q("#{regcode} subscription")}, 'full', #{q(status)}, '2019-01-01 00:00:00',
          #{q(expires)}, 100, 0, NOW(), NOW())
      SQL
      classes.each do |product_class|
        db.query("INSERT INTO subscription_product_classes (subscription_id, product_class) " \
                 "VALUES (#{id}, #{q(product_class)})")
      end
    end
  end

  def q(value)
    value.nil? ? "NULL" : "'#{Mysql2::Client.escape(value.to_s)}'"
  end
end
