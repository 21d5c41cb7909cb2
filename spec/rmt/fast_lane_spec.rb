# frozen_string_literal: true

require_relative "parity_helper"

# The fast lane inside RMT (RMT_RS=1 RMT_RS_FAST_LANE=1 script/rmt spec ...):
# what it sends besides the answer, what it leaves to Rails, when it stays shut.
RSpec.describe "RmtRs's fast lane", :parity do
  before do
    skip "boot RMT with RMT_RS_FAST_LANE=1 for the fast lane" unless RmtRs::Parity.paths.include?(:fast)
  end

  def announce(body, content_type: "application/json", path: "/connect/subscriptions/systems")
    header "Accept", ParityHelpers::V4
    post path, body, "CONTENT_TYPE" => content_type
    last_response
  end

  # The controller notifications of each path's request, as RMT's metrics
  # (yabeda-rails) and log read them.
  def notifications
    events = Hash.new { |hash, path| hash[path] = [] }
    RmtRs::Parity.on_both_paths do |path|
      listener = lambda do |name, _start, _finish, _id, payload|
        fields = payload.slice(:controller, :action, :format, :method, :path, :status)
        events[path] << [name, fields.merge(params: payload[:params].except("controller", "action", "format").inspect)]
      end
      ActiveSupport::Notifications.subscribed(listener, /\A(start_processing|process_action)\.action_controller\z/) do
        announce({ hostname: "metrics", hwinfo: { cpus: 2 } }.to_json)
      end
    end
    events
  end

  it "sends RMT's controller notifications, with the same payload RMT's metrics read" do
    events = notifications
    expect(RmtRs::Parity.fast_lane_answers[:fast]).to eq(1)
    expect(events[:fast]).to eq(events[:ruby])
    expect(events[:fast].map(&:first)).to eq(%w[start_processing.action_controller process_action.action_controller])
    expect(events[:fast].last[1]).to include(controller: "Api::Connect::V4::Subscriptions::SystemsController",
                                             action: "announce_system", format: :json, status: 201)
  end

  [
    ["a form-encoded body", "hostname=form&hwinfo[cpus]=2", "application/x-www-form-urlencoded", "/connect/subscriptions/systems"],
    ["a query string", { hostname: "q" }.to_json, "application/json", "/connect/subscriptions/systems?hostname=query"],
    ["a trailing slash", { hostname: "s" }.to_json, "application/json", "/connect/subscriptions/systems/"],
    ["a JSON array", [1].to_json, "application/json", "/connect/subscriptions/systems"]
  ].each do |name, body, content_type, path|
    it "leaves #{name} to Rails, which still reads the whole body" do
      outcomes = RmtRs::Parity.on_both_paths { announce(body, content_type: content_type, path: path) }
      expect(outcomes[:rust]).to eq(outcomes[:ruby])
      expect_fast_lane(outcomes, answered: false)
    end
  end

  it "renders RmtRs's 503 with RMT's error JSON and Retry-After when a call passes its deadline" do
    settings = ActiveRecord::Base.connection_db_config.configuration_hash
    RmtRs::Railtie.configure_from(settings.merge(deadline: 300, retry_after: 9))
    Rails.application.config.rmt_rs.fast_lane = true
    locker = Mysql2::Client.new(**settings.slice(:socket, :username, :password, :database))
    locker.query("LOCK TABLES systems WRITE")
    response = RmtRs::Parity::LogCapture.around { announce({ hostname: "late" }.to_json) }
    locker.close # releases the lock
    expect([response.status, response.headers["Retry-After"], JSON.parse(response.body)["type"]])
      .to eq([503, "9", "error"])
    expect(RmtRs::Parity::LogCapture.lines.last).to start_with("Completed 503 Service Unavailable in ")
    expect(count("systems")).to eq(0)
  ensure
    locker&.close unless locker&.closed?
    Rails.application.config.rmt_rs.fast_lane = false
    RmtRs::Railtie.configure_from(settings)
  end

  it "stays shut, saying why, where the log's parameter filters are more than plain words" do
    filters = Rails.application.config.filter_parameters
    filters << /secret/
    RmtRs::FastLane.reset!
    RmtRs::Parity::LogCapture.around { expect(RmtRs::FastLane.settings).to be_nil }
    expect(RmtRs::Parity::LogCapture.lines)
      .to include("RmtRs: the fast lane stays shut: filter_parameters has more than plain words")
    outcomes = RmtRs::Parity.on_both_paths { announce({ hostname: "filtered" }.to_json) }
    expect_fast_lane(outcomes, answered: false)
  ensure
    filters.delete(/secret/)
    RmtRs::FastLane.reset!
  end
end
