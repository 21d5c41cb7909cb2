# frozen_string_literal: true

require_relative "parity_helper"

# A request's arrival inside RMT (nginx's X-Request-Start, else the earliest
# Ruby sees): a request older than its client's patience is answered 503
# before anything is written; one just inside it is answered as RMT answers it.
RSpec.describe "A request's arrival", :parity do
  # Seconds: the default patience (50 s) less a little, and more than it.
  INSIDE = 48
  PAST = 55

  def announce(**env)
    header "Accept", ParityHelpers::V4
    post "/connect/subscriptions/systems", { hostname: "late", hwinfo: { cpus: 2 } }.to_json,
         { "CONTENT_TYPE" => "application/json" }.merge(env)
    last_response
  end

  # RmtRs's 503 (RMT's error JSON, Retry-After), answered by RmtRs.
  def expect_refused(response, payload)
    body = JSON.parse(response.body)
    expect([response.status, response.headers["Retry-After"], body["type"]]).to eq([503, "9", "error"])
    expect(body["error"]).to match(/\AThe request waited 5\d\.\d s before RmtRs could take it, longer than its client waits \(50 s\)/)
    expect(payload[:rmt_rs_answered]).to be(true)
  end

  before { RmtRs::Parity.clean_tables }

  it "refuses an announce older than its client's patience with a 503, writing nothing" do
    payloads = with_settings(on: true, retry_after: 9) do
      header "X-Request-Start", arrived(PAST)
      announce
    end
    expect_refused(last_response, payloads.last)
    expect(count("systems")).to eq(0)
  end

  it "refuses an activation older than its client's patience with a 503, writing nothing" do
    payloads = with_settings(on: true, retry_after: 9) do
      credentials = JSON.parse(announce.body)
      basic_authorize credentials["login"], credentials["password"]
      header "System-Token", ""
      header "X-Request-Start", arrived(PAST)
      post "/connect/systems/products", SLES.to_json, "CONTENT_TYPE" => "application/json"
    end
    expect_refused(last_response, payloads.last)
    expect(count("activations")).to eq(0)
    # Nor did the refused request touch the system (last_seen_at, its token).
    expect(ActiveRecord::Base.connection.select_rows("SELECT last_seen_at, system_token FROM systems"))
      .to eq([[nil, nil]])
  end

  it "counts from Puma's body wait when nginx sent no X-Request-Start" do
    payloads = with_settings(on: true, retry_after: 9) { announce("puma.request_body_wait" => PAST * 1000) }
    expect_refused(last_response, payloads.last)
    expect(count("systems")).to eq(0)
  end

  it "answers a registration just inside its client's patience as RMT does" do
    # The deadline (which counts from arrival too) raised above the patience,
    # so that the patience is what is tried.
    RmtRs::Railtie.configure_from(ActiveRecord::Base.connection_db_config.configuration_hash.merge(deadline: 60_000))
    header "X-Request-Start", arrived(INSIDE)
    outcomes = as_new_system do
      activate(SLES, token: "")
      show(SLES, token: @token)
    end
    expect(expect_same(outcomes)[:status]).to eq(200)
  ensure
    header "X-Request-Start", nil
    RmtRs::Railtie.configure_from(ActiveRecord::Base.connection_db_config.configuration_hash)
  end

  it "with shed_announces, refuses new announces while requests keep waiting, and serves those under way" do
    activation = nil
    payloads = with_settings(on: true, shed_announces: 2000, retry_after: 9) do
      credentials = JSON.parse(announce.body)
      basic_authorize credentials["login"], credentials["password"]
      header "System-Token", ""
      # Every request waited 3 s (the target 2 s), for two intervals (the
      # announce that opened the registration did not wait: it shares the first).
      header "X-Request-Start", arrived(3)
      until_at = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 2.3
      while Process.clock_gettime(Process::CLOCK_MONOTONIC) < until_at
        get "/connect/systems/products", SLES
        sleep 0.1
      end
      activation = post("/connect/systems/products", SLES.to_json, "CONTENT_TYPE" => "application/json")
      %w[Authorization System-Token].each { |name| header name, nil }
      announce
    end
    expect(activation.status).to eq(201)
    body = JSON.parse(last_response.body)
    expect([last_response.status, last_response.headers["Retry-After"], body["type"]]).to eq([503, "9", "error"])
    expect(body["error"]).to start_with("The server is busy with the registrations under way and takes no new ones")
    expect(payloads.last[:rmt_rs_answered]).to be(true)
    expect([count("systems"), count("activations")]).to eq([1, 1])
  end

  it "ignores an X-Request-Start from a clock far off, in the past or the future" do
    [arrived(3600), arrived(-3600), "t=1", "t=soon"].each do |stamp|
      with_settings(on: true) do
        header "X-Request-Start", stamp
        expect(announce.status).to eq(201)
      end
    end
    expect(count("systems")).to eq(4)
  end
end
