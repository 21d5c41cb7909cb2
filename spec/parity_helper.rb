# frozen_string_literal: true

# Boots the dummy RMT app with RmtRs enabled on the spec database, so each example
# can pick the Ruby or the Rust path by flipping the flag (RmtRs::Parity, the
# helper RMT's own suite can use too).
ENV["RAILS_ENV"] = "test"
ENV["RMT_RS"] = "1"
require "spec_helper"
ENV["DUMMY_DATABASE"] = DatabaseHelpers::DATABASE
require_relative "dummy/config/environment"
require "rmt_rs/parity"
require "rack/test"

module ParityHelpers
  include Rack::Test::Methods

  V3 = "application/vnd.scc.suse.com.v3+json"
  V4 = "application/json,application/vnd.scc.suse.com.v4+json"

  def app
    Rails.application
  end

  # Announces `body` on both paths (after announcing `setup` first, when given).
  def on_both_paths(body, accept: V4, content_type: "application/json", setup: nil)
    RmtRs::Parity.on_both_paths do
      header "Accept", accept
      post "/connect/subscriptions/systems", setup, "CONTENT_TYPE" => "application/json" if setup
      post "/connect/subscriptions/systems", body, "CONTENT_TYPE" => content_type
      last_response
    end
  end
end

RSpec.configure { |config| config.include ParityHelpers, :parity }
