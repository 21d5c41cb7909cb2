# frozen_string_literal: true

require_relative "parity_helper"
require "rack/timeout/base"

# Rack::Timeout ends a request by raising into its thread; RmtRs must give the
# thread back at once (its unblocking function cancels the database work) and
# leave nothing written.
RSpec.describe "RmtRs under Rack::Timeout", :parity do
  def app
    @app ||= Rack::Timeout.new(Rails.application, service_timeout: 1)
  end

  it "ends an announce stuck on the database at Rack::Timeout's limit, writing nothing" do
    RmtRs::Parity.switch(true)
    settings = ActiveRecord::Base.connection_db_config.configuration_hash
    locker = Mysql2::Client.new(**settings.slice(:socket, :username, :password, :database))
    locker.query("LOCK TABLES systems WRITE")
    header "Accept", ParityHelpers::V4
    request = nil
    # RmtRs took both requests, not RMT's path.
    answered = answered_by_rmt_rs do
      request = Thread.new do
        post "/connect/subscriptions/systems", { hostname: "stuck" }.to_json, "CONTENT_TYPE" => "application/json"
        last_response.status
      rescue Rack::Timeout::Error => e
        e.class
      end
      # Generous: without the cancellation the request would wait for the lock forever.
      finished = request.join(20)
      locker.close # releases the lock
      expect(finished).not_to be_nil
      expect(request.value).to eq(Rack::Timeout::RequestTimeoutException).or eq(500)
      expect(count("systems")).to eq(0)

      post "/connect/subscriptions/systems", { hostname: "in time" }.to_json, "CONTENT_TYPE" => "application/json"
      expect(last_response.status).to eq(201)
    end
    expect(answered).to eq(["Api::Connect::V4::Subscriptions::SystemsController#announce_system"] * 2)
  end
end
