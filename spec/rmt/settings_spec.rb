# frozen_string_literal: true

require_relative "parity_helper"

# RMT's database settings as operators have them: `host: localhost` and no
# socket key (RMT's settings have none). The Railtie asks the server RMT's own
# connection reached which socket it listens on.
RSpec.describe "RmtRs configured from RMT's settings", :parity do
  let(:settings) { ActiveRecord::Base.connection_db_config.configuration_hash }

  after { RmtRs::Railtie.configure_from(settings) }

  it "finds the socket the server reports when the settings name none, and registers through it" do
    expect(settings[:socket]).to be_present # this harness's private MariaDB, from DATABASE_URL
    without_socket = settings.except(:socket).merge(host: "localhost")
    expect(RmtRs::Configuration.find_socket(RmtRs::Railtie.server_socket)).to eq(settings[:socket])
    RmtRs::Railtie.configure_from(without_socket)
    expect(RmtRs::Registration.announce_system(hostname: "found").status).to eq(201)
  end

  it "ignores a reported socket that is not one on this machine" do
    expect(RmtRs::Configuration.find_socket("/nonexistent/mysql.sock")).to be_nil
    expect(RmtRs::Configuration.find_socket(__FILE__)).to be_nil
  end

  it "refuses an encoding RMT does not use, at configure time" do
    expect { RmtRs::Railtie.configure_from(settings.merge(encoding: "latin1")) }
      .to raise_error(ArgumentError, /encoding "latin1" is not supported/)
  end
end

# RmtRs's switches in RMT's own settings (the `rmt_rs:` section of
# /etc/rmt.conf; config/rmt.local.yml stands in for it here), below an
# initializer and the environment; a section RmtRs cannot take stops the
# boot. Each example boots RMT in a process of its own.
RSpec.describe "RmtRs's switches in RMT's settings" do
  require "open3"

  let(:local) { Rails.root.join("config/rmt.local.yml") }
  let(:initializer) { Rails.root.join("config/initializers/zz_rmt_rs_site.rb") }

  around do |example|
    saved = local.exist? ? local.read : nil
    example.run
  ensure
    saved ? local.write(saved) : local.delete if local.exist? || saved
    initializer.delete if initializer.exist?
  end

  # RMT booted in the test environment with `yaml` as its local settings;
  # [stdout, stderr, success].
  def boot(yaml, env: {}, code: "puts [RmtRs::Railtie.enabled?, Rails.application.config.rmt_rs.enabled_by].inspect")
    local.write(yaml)
    out, err, status = Open3.capture3({ "RMT_RS" => nil, "RMT_RS_FAST_LANE" => nil, "RMT_LOAD_ENGINES" => nil }.merge(env),
                                      "bundle", "exec", "rails", "runner", "-e", "test", code, chdir: Rails.root.to_s)
    [out, err, status.success?]
  end

  it "switches RmtRs on from rmt_rs: enabled, and leaves it off without the section" do
    expect(boot("rmt_rs:\n  enabled: true\n").first).to include('[true, "RMT\'s settings (rmt_rs: enabled)"]')
    expect(boot("log_level:\n  rails: info\n").first).to include('[false, "the default"]')
  end

  it "lets an initializer, and above it the environment, override the section" do
    initializer.write("Rails.application.config.rmt_rs.enabled = false\n")
    expect(boot("rmt_rs:\n  enabled: true\n").first).to include('[false, "an initializer"]')
    expect(boot("rmt_rs:\n  enabled: true\n", env: { "RMT_RS" => "1" }).first)
      .to include('[true, "the environment (RMT_RS)"]')
  end

  # An operator's /etc/rmt.conf and environment from a release with the fast
  # lane: RMT boots, and its log names each retired switch once.
  it "boots with the retired fast_lane in the section and RMT_RS_FAST_LANE set, saying so in one line each" do
    log = Rails.root.join("log/test.log")
    from = log.exist? ? log.size : 0
    out, err, ok = boot("rmt_rs:\n  enabled: true\n  fast_lane: true\n", env: { "RMT_RS_FAST_LANE" => "1" })
    expect([ok, out]).to match([true, include('[true, "RMT\'s settings (rmt_rs: enabled)"]')]), err
    why = "is no longer used: the fast lane was folded into the controller path (docs/fast-lane.md)"
    expect(File.binread(log, nil, from).lines.grep(/no longer used/).map(&:strip))
      .to eq(["RmtRs: rmt_rs: fast_lane #{why}", "RmtRs: RMT_RS_FAST_LANE #{why}"])
  end

  it "stops RMT at boot on an unknown key or a bad value, naming it" do
    _, err, ok = boot("rmt_rs:\n  enabled: true\n  fastlane: true\n")
    expect([ok, err]).to match([false, include("rmt_rs: unknown setting(s) fastlane")])
    _, err, ok = boot("rmt_rs:\n  enabled: maybe\n")
    expect([ok, err]).to match([false, include('rmt_rs: enabled must be true or false, not "maybe"')])
    _, err, ok = boot("rmt_rs:\n  enabled: true\n  health_when_saturated: soon\n")
    expect([ok, err]).to match([false, include('rmt_rs: health_when_saturated must be a positive number, not "soon"')])
  end

  it "takes health_when_saturated in seconds, hooks RMT's health check and says so in the boot log" do
    log = Rails.root.join("log/test.log")
    offset = log.exist? ? log.size : 0
    code = "puts [RmtRs::Configuration.health_when_saturated, Api::HealthController <= RmtRs::Health].inspect"
    out, err, ok = boot("rmt_rs:\n  enabled: true\n  health_when_saturated: 1.5\n", code: code)
    expect([ok, out]).to match([true, include("[1500, true]")]), err
    # The log's bytes from the offset (it holds multibyte text: a character
    # index would land elsewhere).
    expect(log.binread(nil, offset).force_encoding(Encoding::UTF_8)).to include("RmtRs: health check on (health_when_saturated: 1.5): /api/health/status " \
                                          'answers 503 {"state":"saturated"}')
  end

  it "gives RmtRs's pool the section's pool, deadline and patience, and rake rmt_rs:status shows them and what RmtRs answers" do
    local.write("rmt_rs:\n  enabled: true\n  pool: 3\n  deadline: 12\n  patience: 40\n")
    out, err, status = Open3.capture3({ "RMT_RS" => nil, "RMT_LOAD_ENGINES" => nil, "RAILS_ENV" => "test" },
                                      "bundle", "exec", "rake", "rmt_rs:status", chdir: Rails.root.to_s)
    expect(status).to be_success, err
    expect(out).to include("enabled: yes (from RMT's settings (rmt_rs: enabled))", "pool=3", "deadline=12000", "patience=40000",
                           "(password not shown)")
    expect(out).not_to include("password=")
    expect(out).to match(/Api::Connect::V3::Systems::ProductsController#activate\s+RmtRs$/)
    expect(out).to match(/Api::Connect::V3::Systems::ProductsController#upgrade\s+RMT's path: /)
  end
end
