# frozen_string_literal: true

require "open3"
require "json"

# RmtRs's families in RMT's Prometheus metrics (RmtRs::Metrics), read as an
# operator's scrape reads them: each example boots RMT in a process of its own
# (`rails runner`, RMT's metrics switched by RMT_METRICS_ENABLED as
# config/rmt.yml reads it, RMT's DirectFileStore in tmp/prometheus), sends
# requests through the whole app (spec/rmt/support/metrics_probe.rb) and
# compares RMT's Prometheus text before and after.
RSpec.describe "RmtRs's metrics in RMT's Prometheus metrics" do
  let(:local) { Rails.root.join("config/rmt.local.yml") }
  let(:n) { 5 }

  around do |example|
    saved = local.exist? ? local.read : nil
    FileUtils.rm_rf(Rails.root.join("tmp/prometheus"))
    example.run
  ensure
    saved ? local.write(saved) : local.delete if local.exist? || saved
  end

  # The probe's record, from RMT booted with `env` (and `yaml` as its local settings).
  def probe(env, yaml: nil)
    local.write(yaml) if yaml
    env = { "RMT_RS" => "1", "RMT_LOAD_ENGINES" => nil, "RMT_RS_METRICS" => nil,
            "METRICS_PROBE_N" => n.to_s }.merge(env)
    out, err, status = Open3.capture3(env, "bundle", "exec", "rails", "runner", "-e", "test",
                                      File.expand_path("support/metrics_probe.rb", __dir__), chdir: Rails.root.to_s)
    expect(status).to be_success, "#{out}\n#{err}"
    JSON.parse(out.lines.last)
  end

  # How much `series` grew between two scrapes.
  def grew(record, series, from: "before", to: "after")
    record.dig(to, series).to_f - record.dig(from, series).to_f
  end

  def series(name, **labels)
    "#{name}{#{labels.sort.map { |k, v| "#{k}=\"#{v}\"" }.join(',')}}"
  end

  it "counts every answer of an owned action by action and status, with its time, and a forced 503 by cause" do
    record = probe({ "RMT_METRICS_ENABLED" => "true", "METRICS_PROBE_DEADLINE" => "1" })
    announce = { action: "announce_system", controller: "Api::Connect::V4::Subscriptions::SystemsController" }
    update = { action: "update", controller: "Api::Connect::V4::Systems::SystemsController" }

    # N announces and N keepalives, by exactly these labels (no `lane`: RmtRs answers on one path).
    expect(record["after"].keys.grep(/\Armt_rs_(answers_total|runtime_seconds_count)\{/).grep(/lane=/)).to be_empty
    expect(grew(record, series("rmt_rs_answers_total", **announce, status: 201))).to eq(n)
    expect(grew(record, series("rmt_rs_answers_total", **update, status: 204))).to eq(n)
    expect(grew(record, series("rmt_rs_runtime_seconds_count", **announce), to: "after_answers")).to eq(n)
    expect(grew(record, series("rmt_rs_runtime_seconds_count", **update), to: "after_answers")).to eq(n)
    expect(grew(record, series("rmt_rs_runtime_seconds_sum", **update), to: "after_answers")).to be > 0

    # RmtRs's time beside yabeda-rails' figures of the same requests, under its labels.
    rails = { action: "announce_system", controller: "api/connect/v4/subscriptions/systems", format: "json",
              method: "post", status: 201 }
    expect(grew(record, series("rmt_rs_request_runtime_seconds_count", **rails))).to eq(n)
    expect(grew(record, series("rails_requests_total", **rails, application: "rmt", environment: "test"))).to eq(n)

    # The keepalive of a locked row past its deadline: one 503, counted by cause.
    expect(record["forced"]).to eq(503)
    expect(grew(record, series("rmt_rs_answers_total", **update, status: 503))).to eq(1)
    expect(grew(record, series("rmt_rs_unavailable_total", cause: "deadline"))).to eq(1)
    %w[pool_timeout lock_wait deadlock connections server_gone patience shed client_gone].each do |cause|
      expect(grew(record, series("rmt_rs_unavailable_total", cause: cause))).to eq(0), cause
    end

    # This process's pool, labelled with its pid by the DirectFileStore.
    pool = %w[size in_use idle waiting].to_h { |g| [g, record.dig("after", series("rmt_rs_pool_#{g}", pid: record["pid"]))] }
    expect(pool["size"]).to eq(record["pool"])
    expect(pool["in_use"]).to be_between(0, pool["size"])
    expect(pool["idle"]).to be_between(0, pool["size"] - pool["in_use"])
    expect(pool["waiting"]).to eq(0)

    # Plain RMT's upgrade stays RMT's, and says why.
    expect(record["after"]).to include(
      series("rmt_rs_actions_left", action: "upgrade", controller: "Api::Connect::V4::Systems::ProductsController",
                                    reason: "RmtRs answers it with RMT's public-cloud engines only") => 1.0
    )
  end

  it "registers no rmt_rs family with RMT's metrics off, nor with rmt_rs: metrics: false" do
    off = probe({ "RMT_METRICS_ENABLED" => "false" })
    expect(off["families"].grep(/\Armt_rs/)).to be_empty

    switched_off = probe({ "RMT_METRICS_ENABLED" => "true" }, yaml: "rmt_rs:\n  metrics: false\n")
    expect(switched_off["families"]).to include("rails_requests_total")
    expect(switched_off["families"].grep(/\Armt_rs/)).to be_empty
    expect(switched_off["after"].keys.grep(/\Armt_rs/)).to be_empty
  end
end
