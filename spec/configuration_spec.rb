# frozen_string_literal: true

require "spec_helper"
require "open3"

RSpec.describe RmtRs do
  after { described_class.configure(database: DatabaseHelpers.settings) }

  it "takes RMT's database settings with symbol keys, ignoring ActiveRecord-only ones" do
    settings = DatabaseHelpers.settings.transform_keys(&:to_sym).merge(adapter: "mysql2", encoding: "utf8")
    described_class.configure(database: settings)
    expect(RmtRs::Registration.announce_system.status).to eq(201)
  end

  it "refuses a products action it does not know instead of answering it as another" do
    caller = RmtRs::Caller.new(login: "SCC_x", password: "p")
    expect { RmtRs::Native.product_request("deregister", caller, nil, {}, "https://rmt") }
      .to raise_error(ArgumentError, 'unknown products action "deregister": activate, show, destroy, upgrade, ' \
                                    'synchronize, migrations, offline_migrations or activations')
  end

  it "treats host localhost as the local socket, as mysql2 does" do
    described_class.configure(database: DatabaseHelpers.settings.merge("host" => "localhost"))
    expect(RmtRs::Registration.announce_system.status).to eq(201)
  end

  it "uses TCP for other hosts" do
    port = Integer(File.read(File.join(DatabaseHelpers::DB_DIR, "port")))
    described_class.configure(database: DatabaseHelpers.settings.merge("host" => "127.0.0.1", "port" => port))
    expect(RmtRs::Registration.announce_system.status).to eq(201)
  end

  it "answers 503 when the database cannot be reached within the timeout" do
    described_class.configure(database: DatabaseHelpers.settings.merge("socket" => "/nonexistent.sock",
                                                                        "timeout" => 300))
    expect { RmtRs::Registration.announce_system }.to raise_error(RmtRs::ServiceUnavailable) { |e|
      expect(e.status).to eq(503)
      expect(e.body["type"]).to eq("error")
    }
  end

  it "refuses settings without a database name or with a bad pool size" do
    expect { described_class.configure(database: { "username" => "root" }) }.to raise_error(ArgumentError)
    expect { described_class.configure(database: DatabaseHelpers.settings.merge("pool" => 0)) }
      .to raise_error(ArgumentError, /pool/)
    expect { described_class.configure(database: "mysql2://x") }.to raise_error(TypeError)
  end

  it "raises NotConfigured before configure is called" do
    lib = File.expand_path("../lib", __dir__)
    out, status = Open3.capture2e(RbConfig.ruby, "-I", lib, "-e", <<~RUBY)
      require "rmt_rs"
      begin
        RmtRs::Registration.announce_system
      rescue RmtRs::NotConfigured => e
        puts "NotConfigured \#{e.status}"
      end
    RUBY
    expect(status).to be_success
    expect(out).to eq("NotConfigured 500\n")
  end
end
