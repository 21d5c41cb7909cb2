# frozen_string_literal: true

require_relative "parity_helper"

# SUSEConnect's and zypper-migration's migration paths
# (`POST /connect/systems/products/migrations`, `SUSEConnect --list-migrations`,
# and `offline_migrations` for an upgrade from media): RMT's MigrationEngine
# on a catalog with service packs before and after SLES 15 SP6, an offline
# path from SLES 12 SP5, SLE 15's Python 2 module, migration extras.
RSpec.describe "POST /connect/systems/products/(offline_)migrations: RmtRs against RMT's Ruby path", :parity do
  def product(identifier, version, **extra)
    { identifier: identifier, version: version, arch: "x86_64" }.merge(extra)
  end

  SP5 = { identifier: "SLES", version: "15.5", arch: "x86_64" }.freeze
  SP5_BASESYSTEM = { identifier: "sle-module-basesystem", version: "15.5", arch: "x86_64" }.freeze
  SP5_SERVER_APPS = { identifier: "sle-module-server-applications", version: "15.5", arch: "x86_64" }.freeze
  SP5_LEGACY = { identifier: "sle-module-legacy", version: "15.5", arch: "x86_64" }.freeze
  SP7 = { identifier: "SLES", version: "15.7", arch: "x86_64" }.freeze
  SLES12 = { identifier: "SLES", version: "12.5", arch: "x86_64" }.freeze

  # Catalog rows beside the seeded SLES 15 SP6 tree (see spec/support/catalog.rb).
  PRODUCTS = [
    [2501, "sle-module-basesystem", "Basesystem Module", "module", "MODULE", true, "15 SP5", { version: "15.5" }],
    [2502, "sle-module-server-applications", "Server Applications Module", "module", "MODULE", true, "15 SP5",
     { version: "15.5" }],
    [2506, "sle-module-legacy", "Legacy Module", "module", "MODULE", true, "15 SP5", { version: "15.5" }],
    [2611, "sle-module-python2", "Python 2 Module", "module", "MODULE", true, "15 SP6", {}],
    [2700, "SLES", "SUSE Linux Enterprise Server", "base", "7261", false, "15 SP7", { version: "15.7" }],
    [2701, "sle-module-basesystem", "Basesystem Module", "module", "MODULE", true, "15 SP7", { version: "15.7" }],
    [2702, "sle-module-server-applications", "Server Applications Module", "module", "MODULE", true, "15 SP7",
     { version: "15.7" }],
    [1205, "SLES", "SUSE Linux Enterprise Server", "base", "7261", false, "12 SP5", { version: "12.5" }]
  ].freeze
  # [product, extension, root, recommended]
  EXTENSIONS = [[2500, 2501, 2500, true], [2501, 2502, 2500, true], [2501, 2506, 2500, false],
                [2601, 2611, 2600, false], [2700, 2701, 2700, true], [2701, 2702, 2700, true]].freeze
  # [product, predecessor, kind (0 online, 1 offline)]
  PREDECESSORS = [[2601, 2501, 0], [2602, 2502, 0], [2700, 2500, 0], [2700, 2600, 0], [2701, 2501, 0],
                  [2701, 2601, 0], [2702, 2502, 0], [2702, 2602, 0], [2600, 1205, 1]].freeze

  before do
    PRODUCTS.each { |row| Catalog.insert_product(db, *row) }
    EXTENSIONS.each do |product_id, extension_id, root_id, recommended|
      db.query("INSERT INTO products_extensions (product_id, extension_id, recommended, root_product_id) " \
               "VALUES (#{product_id}, #{extension_id}, #{recommended}, #{root_id})")
    end
    PREDECESSORS.each do |product_id, predecessor_id, kind|
      db.query("INSERT INTO product_predecessors (product_id, predecessor_id, kind) " \
               "VALUES (#{product_id}, #{predecessor_id}, #{kind})")
    end
    db.query("UPDATE products_extensions SET migration_extra = TRUE WHERE extension_id = 2607")
    db.query("UPDATE products SET shortname = 'SLES15-SP7' WHERE id = 2700")
  end

  def expect_parity(**options, &steps)
    expect_same(as_new_system(**options, &steps))
  end

  # SLES 15 SP5 with Basesystem and Server Applications, as SUSEConnect activates them.
  def activate_sp5(*extra)
    activate(SP5, token: "")
    [SP5_BASESYSTEM, SP5_SERVER_APPS, *extra].each { |p| activate(p, token: @token) }
  end

  # `installed` :absent sends no list.
  def migrations(installed, offline: false, target: nil, as: :json, **extra)
    header "System-Token", @token
    body = installed == :absent ? {} : { installed_products: installed }
    body[:target_base_product] = target if target
    body.merge!(extra)
    path = "/connect/systems/products/#{offline ? 'offline_migrations' : 'migrations'}"
    as == :json ? post(path, body.to_json, "CONTENT_TYPE" => "application/json") : post(path, body)
    last_response
  end

  def paths(result)
    result[:body].map { |path| path.map { |p| "#{p['identifier']}/#{p['version']}" } }
  end

  describe "online" do
    it "offers the next service packs, newest first, with the installed modules' successors and Python 2" do
      result = nil
      answered = answered_by_rmt_rs { result = expect_parity { activate_sp5 && migrations([SP5, SP5_BASESYSTEM, SP5_SERVER_APPS]) } }
      expect(answered).to include("Api::Connect::V4::Systems::ProductsController#migrations")
      expect(result[:status]).to eq(200)
      expect(paths(result)).to eq([
        %w[SLES/15.7 sle-module-basesystem/15.7 sle-module-server-applications/15.7],
        %w[SLES/15.6 sle-module-basesystem/15.6 sle-module-python2/15.6 sle-module-server-applications/15.6]
      ])
      expect(result[:body].first.first).to include("shortname" => "SLES15-SP7", "base" => true, "available" => true,
                                                   "product_type" => "base", "release_stage" => "released")
    end

    it "reads SUSEConnect's JSON, a form (as RMT's specs send) and v3, with or without release_type" do
      installed = [SP5, SP5_BASESYSTEM.merge(release_type: nil)]
      expect_parity { activate_sp5 && migrations(installed, as: :form) }
      expect_parity(accept: ParityHelpers::V3) { activate_sp5 && migrations(installed) }
      expect(paths(expect_parity { activate_sp5 && migrations([SP5.merge(version: "15.5-0")]) }).size).to eq(2)
      # A field not sent is no condition (RMT's permit leaves it out): any arch.
      expect(paths(expect_parity { activate_sp5 && migrations([SP5.except(:arch)]) }).size).to eq(2)
    end

    it "refuses what RMT refuses, with RMT's messages" do
      refusals = {
        "The requested products 'Legacy Module 15 SP5 x86_64' are not activated on the system." =>
          -> { activate_sp5 && migrations([SP5, SP5_LEGACY]) },
        "Multiple base products found: 'SUSE Linux Enterprise Server 15 SP5 x86_64, " \
        "SUSE Linux Enterprise Server 15 SP5 x86_64'." => -> { activate_sp5 && migrations([SP5, SP5]) },
        "No base product found." => -> { activate_sp5 && migrations([SP5_BASESYSTEM, product("nope", "1"), "SLES"]) },
        "Required parameters are missing or empty: installed_products" => -> { activate_sp5 && migrations(:absent) }
      }
      refusals.each do |message, steps|
        result = expect_parity(&steps)
        expect([result[:status], result[:body]["error"]]).to eq([422, message])
      end
    end

    it "refuses when an installed module has nowhere to go, naming the command that removes it" do
      result = expect_parity { activate_sp5(SP5_LEGACY) && migrations([SP5, SP5_BASESYSTEM, SP5_LEGACY]) }
      expect(result[:status]).to eq(422)
      expect(result[:body]["error"]).to include("The product(s) are 'Legacy Module 15 SP5 x86_64'. \n")
      expect(result[:body]["error"]).to end_with("SUSEConnect -d -p sle-module-legacy/15.5/x86_64")
    end

    it "leaves to RMT what makes it fail: a list that is not one, products named by numbers, the legacy payload" do
      answered = answered_by_rmt_rs do
        [-> { migrations("SLES") }, -> { migrations(nil) }, -> { migrations([product("SLES", 15)]) },
         -> { migrations([SP5], payload: { installed_products: [SP5] }.to_json) }].each do |steps|
          expect_same(as_new_system(rmt_answers: %w[migrations]) { activate_sp5 && instance_exec(&steps) })
        end
      end
      expect(answered).to include("Api::Connect::V4::Systems::ProductsController#activate")
      expect(answered).not_to include("Api::Connect::V4::Systems::ProductsController#migrations")
    end
  end

  describe "offline" do
    it "offers the target with the root's recommended and migration-extra modules, from SLES 12" do
      result = expect_parity do
        activate(SLES12, token: "") && migrations([SLES12], offline: true, target: SLES)
      end
      expect(paths(result)).to eq([%w[SLES/15.6 sle-module-basesystem/15.6 sle-module-python2/15.6
                                      sle-module-server-applications/15.6 sle-module-public-cloud/15.6]])
    end

    it "adds no extras where the path to the target is online, and none to another target" do
      result = expect_parity { activate_sp5 && migrations([SP5, SP5_BASESYSTEM], offline: true, target: SP7) }
      expect(paths(result)).to eq([%w[SLES/15.7 sle-module-basesystem/15.7]])
      result = expect_parity { activate_sp5 && migrations([SP5], offline: true, target: SLES12) }
      expect([result[:status], result[:body]]).to eq([200, []])
    end

    it "refuses a missing target as RMT does, and an unknown one (where RMT fails) with RMT's message for it" do
      result = expect_parity { activate_sp5 && migrations([SP5], offline: true) }
      expect(result[:body]["error"]).to eq("Required parameters are missing or empty: target_base_product")
      answer = as_new_system { activate_sp5 && migrations([SP5], offline: true, target: product("nope", "1")) }
      expect([answer[:ruby][:status], answer[:rust][:status]]).to eq([500, 422])
      expect(answer[:rust][:body]["error"]).to eq("No product found")
    end
  end
end
