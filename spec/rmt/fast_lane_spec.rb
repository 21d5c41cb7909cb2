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

  # Announces, and sends the products request of `steps` with the system's
  # credentials (System-Token empty, as SUSEConnect's first activation).
  def registered(&steps)
    announce({ hostname: "vm", hwinfo: { cpus: 2 } }.to_json)
    credentials = JSON.parse(last_response.body)
    basic_authorize credentials["login"], credentials["password"]
    header "System-Token", ""
    instance_exec(&steps)
    last_response
  ensure
    %w[Authorization System-Token].each { |name| header name, nil }
  end


  # The controller notifications of each path's requests, as RMT's metrics
  # (yabeda-rails) and log read them.
  def notifications
    events = Hash.new { |hash, path| hash[path] = [] }
    RmtRs::Parity.on_both_paths do |path|
      listener = lambda do |name, _start, _finish, _id, payload|
        fields = payload.slice(:controller, :action, :format, :method, :path, :status)
        events[path] << [name, fields.merge(params: payload[:params].except("controller", "action", "format").inspect)]
      end
      ActiveSupport::Notifications.subscribed(listener, /\A(start_processing|process_action)\.action_controller\z/) do
        yield
      end
    end
    events
  end

  it "sends RMT's controller notifications, with the same payload RMT's metrics read" do
    events = notifications { announce({ hostname: "metrics", hwinfo: { cpus: 2 } }.to_json) }
    expect(RmtRs::Parity.fast_lane_answers[:fast]).to eq("announce_system" => 1)
    expect(events[:fast]).to eq(events[:ruby])
    expect(events[:fast].map(&:first)).to eq(%w[start_processing.action_controller process_action.action_controller])
    expect(events[:fast].last[1]).to include(controller: "Api::Connect::V4::Subscriptions::SystemsController",
                                             action: "announce_system", format: :json, status: 201)
  end

  it "sends them for an activation and a product tree" do
    activation = notifications { registered { post "/connect/systems/products", SLES.to_json, "CONTENT_TYPE" => "application/json" } }
    expect(RmtRs::Parity.fast_lane_answers[:fast]).to eq("announce_system" => 1, "activate" => 1)
    expect(activation[:fast]).to eq(activation[:ruby])
    expect(activation[:fast].last[1]).to include(controller: "Api::Connect::V4::Systems::ProductsController",
                                                 action: "activate", status: 201)
    tree = notifications do
      registered do
        post "/connect/systems/products", SLES.to_json, "CONTENT_TYPE" => "application/json"
        get "/connect/systems/products", SLES
      end
    end
    expect(RmtRs::Parity.fast_lane_answers[:fast]).to eq("announce_system" => 1, "activate" => 1, "show" => 1)
    expect(tree[:fast]).to eq(tree[:ruby])
    expect(tree[:fast].last[1]).to include(action: "show", status: 200, path: "/connect/systems/products?identifier=SLES&version=15.6&arch=x86_64")
  end

  # Products requests Rails reads otherwise than the fast lane would: each
  # answered by Rails (through RmtRs's controller path) as on RMT's path.
  {
    "an activation with a query string" =>
      -> { post "/connect/systems/products?identifier=SLES", SLES.to_json, "CONTENT_TYPE" => "application/json" },
    "a form-encoded activation with a ';' (a separator in query strings, not in forms)" => lambda {
      post "/connect/systems/products", "identifier=SLES;x&version=15.6&arch=x86_64",
           "CONTENT_TYPE" => "application/x-www-form-urlencoded"
    },
    "a product tree with a query string and a JSON body" =>
      -> { get "/connect/systems/products?arch=x86_64", {}, "CONTENT_TYPE" => "application/json", input: SLES.to_json },
    "a nested query string" => -> { get "/connect/systems/products?extra[]=1&identifier=SLES&version=15.6&arch=x86_64" },
    "basic credentials Ruby's base64 reads leniently" => lambda {
      header "Authorization", "Basic #{last_request.env['HTTP_AUTHORIZATION'].split(' ').last.delete('=')}"
      post "/connect/systems/products", SLES.to_json, "CONTENT_TYPE" => "application/json"
    }
  }.each do |name, request|
    it "leaves #{name} to Rails" do
      outcomes = RmtRs::Parity.on_both_paths do
        registered do
          post "/connect/systems/products", SLES.to_json, "CONTENT_TYPE" => "application/json"
          instance_exec(&request)
        end
      end
      expect(outcomes[:rust]).to eq(outcomes[:ruby])
      expect(RmtRs::Parity.fast_lane_answers[:fast]).to eq("announce_system" => 1, "activate" => 1)
      expect_fast_lane(outcomes, answered: false, actions: [])
    end
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
    expect(RmtRs::Parity::LogCapture.lines).to eq(
      ["POST /connect/subscriptions/systems", "POST /connect/systems/products", "GET /connect/systems/products"].map do |route|
        "RmtRs: the fast lane leaves #{route} to Rails: filter_parameters has more than plain words"
      end
    )
    outcomes = RmtRs::Parity.on_both_paths { announce({ hostname: "filtered" }.to_json) }
    expect_fast_lane(outcomes, answered: false)
  ensure
    filters.delete(/secret/)
    RmtRs::FastLane.reset!
  end
end
