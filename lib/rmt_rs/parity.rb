# frozen_string_literal: true

module RmtRs
  # Parity checks for a Rails app that has RmtRs's Railtie: the same request
  # through the app's Ruby path and through RmtRs, each on emptied tables, with
  # both outcomes normalised so that generated values compare by format and
  # timestamps by rule. For RMT's own suite as for ours:
  #
  #   RSpec.describe "announce parity", type: :request do
  #     include RmtRs::Parity
  #     self.use_transactional_tests = false # RmtRs's pool must see the rows
  #
  #     it "matches" do
  #       outcomes = on_both_paths { post "/connect/subscriptions/systems", params: {...}, as: :json; response }
  #       expect(outcomes[:rust]).to eq(outcomes[:ruby])
  #     end
  #   end
  #
  # Every table it reads is emptied before each path runs, via ActiveRecord.
  module Parity
    TABLES = %w[system_profiles profiles activations systems].freeze
    LOGIN = /\ASCC_\h{32}\z/
    PASSWORD = /\A\h{16}\z/
    TOKEN = /\A\h{8}-\h{4}-4\h{3}-[89ab]\h{3}-\h{12}\z/
    HEADERS = %w[X-System-Profiles-Action System-Token WWW-Authenticate].freeze

    module_function

    # Runs the block (which sends the request and returns the response) once per
    # path and returns {ruby: outcome, rust: outcome}. The flag is left on.
    def on_both_paths
      %i[ruby rust].to_h do |path|
        ::Rails.application.config.rmt_rs.enabled = (path == :rust)
        clean_tables
        started = Time.now.utc.floor
        response = yield path
        [path, outcome(response, started..Time.now.utc.ceil)]
      end
    ensure
      ::Rails.application.config.rmt_rs.enabled = true
    end

    def clean_tables
      connection.execute("SET FOREIGN_KEY_CHECKS = 0")
      TABLES.each { |table| connection.execute("DELETE FROM #{table}") }
    ensure
      connection.execute("SET FOREIGN_KEY_CHECKS = 1")
    end

    def outcome(response, window)
      systems = rows("SELECT * FROM systems ORDER BY id")
      system_ids = systems.map { |row| row["id"] }
      {
        status: response.status,
        headers: HEADERS.to_h { |name| [name, normalised_token(response.headers[name])] },
        body: normalised_body(parsed(response.body)),
        systems: systems.map { |row| normalised_system(row, window) },
        profiles: rows("SELECT * FROM profiles ORDER BY profile_type, identifier").map do |row|
          normalised_times(row, window).except("id")
        end,
        system_profiles: rows(<<~SQL).map { |row| normalised_times(row, window) },
          SELECT p.profile_type, p.identifier, sp.created_at, sp.updated_at
          FROM system_profiles sp JOIN profiles p ON p.id = sp.profile_id ORDER BY sp.id
        SQL
        # Systems by their position, since the two paths' ids differ.
        activations: rows("SELECT * FROM activations ORDER BY system_id, service_id").map do |row|
          normalised_times(row, window).except("id").merge("system_id" => system_ids.index(row["system_id"]))
        end
      }
    end

    def parsed(body)
      JSON.parse(body)
    rescue JSON::ParserError
      body
    end

    def normalised_token(value)
      TOKEN.match?(value.to_s) ? "<token>" : value
    end

    def normalised_body(body)
      return body unless body.is_a?(Hash) && body.key?("login")

      id = body["id"].is_a?(Integer) && body["id"].positive? ? "<id>" : body["id"]
      normalised_credentials(body).merge("id" => id)
    end

    def normalised_system(row, window)
      system = normalised_credentials(normalised_times(row, window).except("id"))
      system.merge("system_token" => normalised_token(system["system_token"]))
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

    def rows(sql)
      connection.select_all(sql).map do |row|
        row.transform_values { |value| value.is_a?(Time) ? value.utc : value }
      end
    end

    def connection
      ::ActiveRecord::Base.connection
    end
  end
end
