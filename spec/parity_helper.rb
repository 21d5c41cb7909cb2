# frozen_string_literal: true

# Boots the dummy RMT app with RmtRs enabled on the spec database, so each example
# can pick the Ruby or the Rust path by flipping the flag. No transactional
# fixtures: the Rust pool must see the rows, so tables are emptied between
# examples (spec_helper). RMT's own suite can use the same setup.
ENV["RAILS_ENV"] = "test"
ENV["RMT_RS"] = "1"
require "spec_helper"
ENV["DUMMY_DATABASE"] = DatabaseHelpers::DATABASE
require_relative "dummy/config/environment"
require "rack/test"

module ParityHelpers
  include Rack::Test::Methods

  V3 = "application/vnd.scc.suse.com.v3+json"
  V4 = "application/json,application/vnd.scc.suse.com.v4+json"

  def app
    Rails.application
  end

  # Sends the same request through RMT's Ruby path and through RmtRs, each on
  # empty tables (after announcing `setup` first, when given), and returns both
  # outcomes, normalised.
  def on_both_paths(body, accept: V4, content_type: "application/json", setup: nil)
    %i[ruby rust].to_h do |path|
      Rails.application.config.rmt_rs.enabled = (path == :rust)
      DatabaseHelpers.clean_tables
      started = Time.now.utc.floor
      header "Accept", accept
      post "/connect/subscriptions/systems", setup, "CONTENT_TYPE" => "application/json" if setup
      post "/connect/subscriptions/systems", body, "CONTENT_TYPE" => content_type
      window = (started..Time.now.utc.ceil)
      [path, outcome(window)]
    end
  ensure
    Rails.application.config.rmt_rs.enabled = true
  end

  private

  def outcome(window)
    {
      status: last_response.status,
      profiles_action: last_response.headers["X-System-Profiles-Action"],
      body: normalised_body(JSON.parse(last_response.body)),
      systems: db.query("SELECT * FROM systems ORDER BY id").map { |row| normalised_system(row, window) },
      profiles: db.query("SELECT * FROM profiles ORDER BY profile_type, identifier").map { |row| normalised_times(row, window).except("id") },
      system_profiles: db.query(<<~SQL).map { |row| normalised_times(row, window) }
        SELECT p.profile_type, p.identifier, sp.created_at, sp.updated_at
        FROM system_profiles sp JOIN profiles p ON p.id = sp.profile_id ORDER BY sp.id
      SQL
    }
  end

  LOGIN = /\ASCC_\h{32}\z/
  PASSWORD = /\A\h{16}\z/

  def normalised_body(body)
    return body unless body.is_a?(Hash) && body.key?("login")

    id = body["id"].is_a?(Integer) && body["id"].positive? ? "<id>" : body["id"]
    normalised_credentials(body).merge("id" => id)
  end

  def normalised_system(row, window)
    normalised_credentials(normalised_times(row, window).except("id"))
  end

  # Generated credentials match by format.
  def normalised_credentials(hash)
    hash.merge("login" => LOGIN.match?(hash["login"].to_s) ? "<login>" : hash["login"],
               "password" => PASSWORD.match?(hash["password"].to_s) ? "<password>" : hash["password"])
  end

  # A timestamp matches by rule: inside the request's window, at the column's precision.
  def normalised_times(row, window)
    row.to_h do |key, value|
      next [key, value] unless value.is_a?(Time)

      [key, window.cover?(value) ? (value.usec.zero? ? "<second in window>" : "<usec in window>") : value]
    end
  end
end

RSpec.configure { |config| config.include ParityHelpers, :parity }
