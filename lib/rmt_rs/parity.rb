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
  # Every table it reads (systems, their profiles, activations, uptimes and
  # deregistrations) is emptied before each path runs, via ActiveRecord.
  #
  # Outcomes hold every response header (per-request values by format).
  # `Parity.logs` has each path's log lines at info level (RMT's production
  # level) from the last run, normalised.
  module Parity
    TABLES = %w[system_uptimes system_profiles profiles activations systems deregistered_systems].freeze
    LOGIN = /\ASCC_\h{32}\z/
    PASSWORD = /\A\h{16}\z/
    TOKEN = /\A\h{8}-\h{4}-4\h{3}-[89ab]\h{3}-\h{12}\z/
    # Per request by design: Rails' request id and runtime; the ETag of a
    # body with fresh credentials.
    PER_REQUEST = { "X-Request-Id" => /\A[\h-]+\z/, "X-Runtime" => /\A[\d.]+\z/, "ETag" => %r{\AW/"\h{32}"\z} }.freeze
    # Whether RmtRs is on, per path.
    PATHS = { ruby: false, rust: true }.freeze

    module_function

    # Raised when a path was not answered by whom it compares: a comparison of
    # RMT with RMT proves nothing.
    class WrongPath < StandardError; end

    # Runs the block (which sends the request and returns the response) once per
    # path and returns {ruby: outcome, rust: outcome}. RmtRs is left on.
    #
    # Proves its paths: RMT's own Ruby answered every request on :ruby, and
    # RmtRs (through RMT's controllers) every request on :rust, except the
    # actions named in `rmt_answers` (a fallback the example is about), which
    # RMT must have answered there too; else it raises WrongPath.
    def on_both_paths(rmt_answers: [])
      @logs = {}
      @answerers = {}
      outcomes = PATHS.to_h do |path, enabled|
        switch(enabled)
        clean_tables
        started = Time.now.utc.floor
        response = Answerers.record(@answerers[path] = []) { LogCapture.around { yield path } }
        @logs[path] = LogCapture.lines.map { |line| normalised_log(line) }
        [path, outcome(response, started..Time.now.utc.ceil)]
      end
      Answerers.prove(@answerers, rmt_answers.map(&:to_s))
      outcomes
    ensure
      switch(true)
    end

    def logs
      @logs || {}
    end

    # Who answered each request of the last run, per path, in order:
    # [action, :rmt_rs | :rmt] (RmtRs through RMT's controller, RMT's own Ruby).
    def answerers
      @answerers || {}
    end

    def switch(enabled)
      ::Rails.application.config.rmt_rs.enabled = enabled
    end

    # Records who answered each request while the block runs, from the
    # `process_action` notifications: RmtRs's controller hook's say
    # `rmt_rs_answered: true`.
    module Answerers
      module_function

      def record(requests)
        listener = lambda do |*, payload|
          requests << [payload[:action].to_s, payload[:rmt_rs_answered] ? :rmt_rs : :rmt]
        end
        ActiveSupport::Notifications.subscribed(listener, "process_action.action_controller") { yield }
      end

      # Each path's requests answered as `on_both_paths` promises.
      def prove(answerers, rmt_answers)
        answerers.each do |path, requests|
          raise WrongPath, "no request reached the app's controllers on the #{path} path" if requests.empty?

          wanted = requests.map { |action, _| [action, path == :ruby || rmt_answers.include?(action) ? :rmt : :rmt_rs] }
          next if requests == wanted

          raise WrongPath, "on the #{path} path, expected #{wanted.inspect}, answered #{requests.inspect} " \
                           "(rmt_answers: #{rmt_answers.inspect})"
        end
      end
    end

    # The lines the app logs at info level while the block runs (the
    # app's logger keeps its own level).
    module LogCapture
      module_function

      def around
        @io ||= StringIO.new.tap { |io| ::Rails.logger.extend(ActiveSupport::Logger.broadcast(capture_logger(io))) }
        @io.truncate(0)
        @io.rewind
        yield
      end

      def capture_logger(io)
        ActiveSupport::Logger.new(io).tap { |logger| logger.level = :info }
      end

      def lines
        @io ? @io.string.lines(chomp: true) : []
      end
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
        headers: response.headers.to_h.sort.to_h { |name, value| [name, normalised_header(name, value)] },
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
        end,
        system_uptimes: rows("SELECT * FROM system_uptimes ORDER BY system_id, online_at_day").map do |row|
          normalised_times(row, window).except("id").merge("system_id" => system_ids.index(row["system_id"]))
        end,
        deregistered_systems: rows("SELECT * FROM deregistered_systems ORDER BY scc_system_id").map do |row|
          normalised_times(row, window).except("id")
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

    def normalised_header(name, value)
      pattern = PER_REQUEST[name]
      return "<#{name}>" if pattern&.match?(value.to_s)

      normalised_token(value)
    end

    # Times and durations by rule, generated logins, tokens and ids by
    # format; RmtRs's own figure in Rails' "Completed" line (its time, which
    # RMT's path does not have) left out. RMT writes the password of unknown
    # credentials into its log, and the registration code a listing is
    # authenticated with, RmtRs never does: those lines compare with the
    # credential as RmtRs writes it.
    def normalised_log(line)
      line.gsub(/ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}/, " at <time>")
          .gsub(/\d+(\.\d+)?ms/, "<ms>")
          .gsub(/Allocations: \d+/, "Allocations: <n>")
          .sub(" | RmtRs: <ms>", "")
          .gsub(/SCC_\h{32}/, "<login>")
          .gsub(/\h{8}-\h{4}-4\h{3}-[89ab]\h{3}-\h{12}/, "<token>")
          .gsub(/\bID \d+/, "ID <id>")
          .gsub(/ on system \d+\z/, " on system <id>")
          .sub(/\A(Could not find system with login \\".*\\" and password \\").*(\\")\z/, '\\1[FILTERED]\\2')
          .sub(/\A((?:Token authentication with (?:invalid|not activated) regcode|Authenticated with token):? ').*('\z)/,
               '\\1[FILTERED]\\2')
    end

    # A system's credentials by format; the row ids in it and in an
    # activations list by format too (each path's rows get their own ids).
    def normalised_body(body)
      if body.is_a?(Array) && body.all? { |item| item.is_a?(Hash) && item.key?("system_id") }
        return body.map { |item| item.merge("id" => normalised_id(item["id"]), "system_id" => normalised_id(item["system_id"])) }
      end
      return body unless body.is_a?(Hash) && body.key?("login")

      normalised_credentials(body).merge("id" => normalised_id(body["id"]))
    end

    def normalised_id(id)
      id.is_a?(Integer) && id.positive? ? "<id>" : id
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
