# frozen_string_literal: true

require "spec_helper"
require "json"
require "open3"
require "tmpdir"
require_relative "support/rmt_server"
require_relative "support/http_herd"

# RmtRs installed as operators install it (docs/operators.md): a folder of RMT's
# engines/ built by script/engine, RMT's Gemfile untouched, switched on by the
# rmt_rs: section of RMT's settings. `script/rmt server` runs RMT that way.
RSpec.describe "RmtRs as a folder of RMT's engines/", :puma do
  root = File.expand_path("..", __dir__)
  database = "rmt_rs_engine_install"

  it "holds the gem's Ruby, the extension, catalog tracking's SQL and the status script, and nothing of the build" do
    Dir.mktmpdir do |dir|
      dest = File.join(dir, "engines/rmt_rs")
      _, err, status = Open3.capture3(File.join(root, "script/engine"), dest)
      expect(status).to be_success, err
      files = Dir.glob("**/*", base: dest).select { |f| File.file?(File.join(dest, f)) }
      expect(files).to include("lib/rmt_rs.rb", "lib/rmt_rs/railtie.rb", "lib/rmt_rs/tasks/rmt_rs.rake",
                               "lib/rmt_rs/rmt_rs.so", "db/catalog_tracking.sql", "bin/rmt-rs-status", "VERSION")
      expect(files.grep_v(%r{\A(lib/.*\.(rb|rake|so)|db/catalog_tracking(_uninstall)?\.sql|bin/rmt-rs-status|VERSION)\z}))
        .to be_empty
      expect(File.executable?(File.join(dest, "bin/rmt-rs-status"))).to be(true)
      # Only the folder: RMT loads every directory of engines/, and an RPM lists
      # what it installs.
      expect(Dir.children(File.dirname(dest))).to eq(["rmt_rs"])
    end
  end

  it "serves RMT's production server from engines/rmt_rs, switched on in rmt.local.yml, with RMT's Gemfile" do
    RmtServer.create_database(database)
    RmtServer.run(database: database, rmt_rs: true) do |server|
      tree = `#{RmtServer::SCRIPT} dir`.strip.then { |spec_tree| "#{spec_tree}-server-plain" }
      expect(File.read(File.join(tree, "Gemfile.server"))).not_to match(/^gem 'rmt_rs'/)
      expect(File.read(File.join(tree, "config/rmt.local.yml"))).to include("rmt_rs:\n  enabled: true\n")
      log = File.read(server.log)
      expect(log).to include("RmtRs #{RmtRs::VERSION} on, from RMT's settings (rmt_rs: enabled)")

      result = HttpHerd.call(server.port, :post, "/connect/subscriptions/systems", { hostname: "engine" }.to_json,
                             { "Content-Type" => "application/json" })
      expect(result.status).to eq(201)
      # RmtRs's runtime in Rails' request line: RmtRs answered it.
      expect(File.read(server.log)).to match(/Completed 201 Created in \d+ms \(.*RmtRs: [\d.]+ms/)
    end
  end

  it "prints the running app's ownership table with bin/rmt-rs-status, loaded from the engine folder" do
    out, err, status = Open3.capture3({ "RAILS_ENV" => "production", "RMT_RS" => "1", "RMT_DATABASE" => database },
                                      RmtServer::SCRIPT, "exec", "engines/rmt_rs/bin/rmt-rs-status")
    expect(status).to be_success, err
    expect(out).to match(%r{^loaded from: /.*-server-plain/engines/rmt_rs/lib$})
    expect(out).to include("enabled: yes (from RMT's settings (rmt_rs: enabled))")
    expect(out).to match(/^  Api::Connect::V3::Subscriptions::SystemsController#announce_system +RmtRs$/)
    expect(out).to match(/^  Api::Connect::V3::Systems::ProductsController#upgrade +RMT's path: /)
    expect(out).not_to match(/password=|:rmt@/)
  end
end
