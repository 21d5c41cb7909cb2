# frozen_string_literal: true

# Parity inside the real RMT (script/rmt spec, with RMT_RS=1): each example sends
# the same requests through RMT's own Ruby path and through RmtRs, flipping the
# flag (RmtRs::Parity), on emptied tables, and compares answers and rows.
require "rmt_rs/parity"
require "rack/test"
require "digest"
require_relative "../support/catalog"

# SLES 15 SP6 x86_64 and its Basesystem module as SUSEConnect names them in
# its requests: products of the seeded catalog (spec/support/catalog.rb).
SLES = { identifier: "SLES", version: "15.6", arch: "x86_64" }.freeze
BASESYSTEM = { identifier: "sle-module-basesystem", version: "15.6", arch: "x86_64" }.freeze

abort "The parity specs need RmtRs switched on at boot: RMT_RS=1 script/rmt spec ..." unless RmtRs::Railtie.enabled?

module ParityHelpers
  include Rack::Test::Methods

  # Runs the block with RmtRs's settings merged with `settings` (and RmtRs
  # switched on first when `on`), then back to the app's settings and without
  # the headers the examples set; the process_action payloads of its requests.
  def with_settings(on: false, **settings)
    database = ActiveRecord::Base.connection_db_config.configuration_hash
    RmtRs::Railtie.configure_from(database.merge(settings))
    RmtRs::Parity.switch(true) if on
    payloads = []
    listener = ->(*, payload) { payloads << payload }
    ActiveSupport::Notifications.subscribed(listener, "process_action.action_controller") { yield }
    payloads
  ensure
    RmtRs::Railtie.configure_from(database)
    %w[Accept Authorization System-Token X-Request-Start].each { |name| header name, nil }
  end

  # nginx's `X-Request-Start: t=${msec}` for a request that arrived `age` seconds ago.
  def arrived(age)
    format("t=%.3f", Time.now.to_f - age)
  end

  V3 = "application/vnd.scc.suse.com.v3+json"
  V4 = "application/json,application/vnd.scc.suse.com.v4+json"
  ACCEPTS = { "v4" => V4, "v3" => V3 }.freeze

  def app
    Rails.application
  end

  # RMT's own connection, for seeding and for looking at rows.
  def db
    ActiveRecordClient
  end

  # Announces `body` on both paths (after announcing `setup` first, when given).
  # `rmt_answers`: the actions RMT's path answers on every path (see RmtRs::Parity).
  def on_both_paths(body, accept: V4, content_type: "application/json", setup: nil, headers: {}, rmt_answers: [])
    RmtRs::Parity.on_both_paths(rmt_answers: rmt_answers) do
      header "Accept", accept
      headers.each { |name, value| header name, value }
      post "/connect/subscriptions/systems", setup, "CONTENT_TYPE" => "application/json" if setup
      post "/connect/subscriptions/systems", body, "CONTENT_TYPE" => content_type
      last_response
    end
  end

  # SUSEConnect's activation, with `System-Token` absent, empty or the one it
  # holds; keeps the token answered in @token.
  def activate(body, token: :absent)
    header "System-Token", token == :absent ? nil : token
    post "/connect/systems/products", body.to_json, "CONTENT_TYPE" => "application/json"
    @token = last_response.headers["System-Token"]
    last_response
  end

  # The product tree; as SUSEConnect sends it (a GET with a JSON body) or as a query.
  def show(body, as: :json, token: :absent)
    header "System-Token", token == :absent ? nil : token
    if as == :json
      get "/connect/systems/products", {}, "CONTENT_TYPE" => "application/json", input: body.to_json
    else
      get "/connect/systems/products", body
    end
  end

  # Runs `steps` (which send requests and return the last response) on both
  # paths, each from a freshly announced system (announced as SUSEConnect
  # announces, `announce` added to the body) with its credentials set.
  def as_new_system(accept: V4, hwinfo: { cpus: 2, arch: "x86_64" }, announce: {}, rmt_answers: [], &steps)
    RmtRs::Parity.on_both_paths(rmt_answers: rmt_answers) do
      %w[Authorization System-Token].each { |name| header name, nil }
      header "Accept", accept
      header "User-Agent", "SUSEConnect/1.14.0"
      post "/connect/subscriptions/systems", { hostname: "vm", hwinfo: hwinfo }.merge(announce).to_json,
           "CONTENT_TYPE" => "application/json"
      @credentials = JSON.parse(last_response.body)
      basic_authorize @credentials["login"], @credentials["password"]
      instance_exec(&steps)
      last_response
    end
  end

  # The controllers and actions RmtRs answered while the block ran (the
  # others were RMT's own), as ["Controller#action", ...].
  def answered_by_rmt_rs
    actions = []
    listener = lambda do |*, payload|
      actions << "#{payload[:controller]}##{payload[:action]}" if payload[:rmt_rs_answered]
    end
    ActiveSupport::Notifications.subscribed(listener, "process_action.action_controller") { yield }
    actions
  end

  # The outcomes (answers and rows) and RMT's log lines the same on RmtRs's
  # path as on RMT's; RMT's outcome.
  def expect_same(outcomes)
    expect(outcomes[:rust]).to eq(outcomes[:ruby])
    expect(RmtRs::Parity.logs[:rust]).to eq(RmtRs::Parity.logs[:ruby])
    outcomes[:ruby]
  end

  def count(table)
    ActiveRecord::Base.connection.select_value("SELECT COUNT(*) FROM #{table}")
  end

  # The catalog seed speaks `query(sql)`; this answers it with RMT's connection.
  module ActiveRecordClient
    module_function

    def query(sql)
      ActiveRecord::Base.connection.execute(sql)
    end
  end
end

RSpec.configure do |config|
  config.include ParityHelpers, :parity
  config.before(:each, :parity) do
    # As RMT runs in production: an exception escaping RMT's code is a 500
    # answer, not a raise into the spec.
    Rails.application.env_config.merge!("action_dispatch.show_exceptions" => true,
                                        "action_dispatch.show_detailed_exceptions" => false)
    Catalog.seed(ParityHelpers::ActiveRecordClient)
  end
  config.after(:each, :parity) do
    Rails.application.env_config.merge!("action_dispatch.show_exceptions" => false,
                                        "action_dispatch.show_detailed_exceptions" => true)
  end
end
