# frozen_string_literal: true

module RmtRs
  # Database settings with the keys of RMT's `database:` section (/etc/rmt.conf,
  # config/database.yml): host, port, socket, username, password, database, pool,
  # timeout (milliseconds), encoding, and RmtRs's own deadline, patience,
  # shed_announces and health_when_saturated (milliseconds; the last two off
  # unless given) and retry_after (seconds). String or symbol keys; unknown
  # keys (adapter, ...) are ignored so an ActiveRecord configuration can be
  # passed as is.
  module Configuration
    DEFAULT_POOL = 5
    DEFAULT_TIMEOUT_MS = 5000
    DEFAULT_DEADLINE_MS = 30_000
    # Below SUSEConnect's 60 s (connect-ng's DefaultTimeout, the http.Client's
    # Timeout of every request), with room for the TLS handshake and the answer's
    # way back.
    DEFAULT_PATIENCE_MS = 50_000
    DEFAULT_RETRY_AFTER_S = 5
    # mysql2's own default; RMT's packaged configuration says utf8 (utf8mb3).
    DEFAULT_ENCODING = "utf8mb4"

    class << self
      # Seconds a client is told to wait (Retry-After) when RmtRs answers 503.
      attr_accessor :retry_after
      # Milliseconds of waiting at which the health check says saturated
      # (RmtRs::Health), nil when off: then it never asks the core.
      attr_accessor :health_when_saturated
    end
    self.retry_after = DEFAULT_RETRY_AFTER_S

    module_function

    def apply(database)
      raise TypeError, "database settings must be a Hash, not #{database.class}" unless database.is_a?(Hash)

      settings = database.transform_keys(&:to_s)
      name = settings["database"].to_s
      raise ArgumentError, "database settings need a database name" if name.empty?

      health_when_saturated = optional_integer(settings["health_when_saturated"], "health_when_saturated")
      Native.configure(
        optional_string(settings["host"]),
        optional_integer(settings["port"], "port"),
        optional_string(settings["socket"]),
        optional_string(settings["username"]),
        optional_string(settings["password"]),
        name,
        settings.fetch("encoding", DEFAULT_ENCODING).to_s,
        positive_integer(settings.fetch("pool", DEFAULT_POOL), "pool"),
        positive_integer(settings.fetch("timeout", DEFAULT_TIMEOUT_MS), "timeout"),
        positive_integer(settings.fetch("deadline", DEFAULT_DEADLINE_MS), "deadline"),
        positive_integer(settings.fetch("patience", DEFAULT_PATIENCE_MS), "patience"),
        optional_integer(settings["shed_announces"], "shed_announces"),
        health_when_saturated
      )
      self.health_when_saturated = health_when_saturated
      self.retry_after = positive_integer(settings.fetch("retry_after", DEFAULT_RETRY_AFTER_S), "retry_after")
    end

    # mysql2's rule: no host, or localhost, means the Unix socket.
    def local?(settings)
      ["", "localhost"].include?(settings["host"].to_s)
    end

    # The socket for a local connection without one configured: the one the
    # server reports (`SELECT @@socket` over the app's own connection) when it
    # exists here; else nil, and the core looks where libmariadb would.
    def find_socket(reported)
      reported if reported && File.socket?(reported)
    end

    def optional_string(value)
      value.nil? || value.to_s.empty? ? nil : value.to_s
    end

    def optional_integer(value, name)
      value.nil? || value.to_s.empty? ? nil : positive_integer(value, name)
    end

    def positive_integer(value, name)
      number = Integer(value)
      raise ArgumentError, "#{name} must be positive, got #{value.inspect}" unless number.positive?

      number
    rescue TypeError, ArgumentError
      raise ArgumentError, "#{name} must be a positive integer, got #{value.inspect}"
    end
  end
end
