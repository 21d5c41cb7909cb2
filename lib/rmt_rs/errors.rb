# frozen_string_literal: true

module RmtRs
  # Base of every error RmtRs raises for a request. Each carries the HTTP status
  # RMT answers with and RMT's error body, so a controller can render it as is.
  class Error < StandardError
    STATUS = 500

    def status
      self.class::STATUS
    end

    # RMT's error JSON (`ApplicationController` renders translated errors so).
    def body
      { "type" => "error", "error" => message, "localized_error" => message }
    end

    # Response headers that go with the status.
    def headers
      {}
    end

    # As a Response: nothing logged, the Hash rendered without a serializer.
    def log
      []
    end

    def serializer
      nil
    end
  end

  # The request cannot be stored as sent (RMT: 422).
  class UnprocessableEntity < Error
    STATUS = 422
  end

  # Unknown system credentials (RMT: 401).
  class Unauthorized < Error
    STATUS = 401
  end

  # The database is unreachable, busy, or no connection freed up in time.
  class ServiceUnavailable < Error
    STATUS = 503

    # When to come back (RMT_RS's `retry_after` setting, seconds).
    def headers
      { "Retry-After" => Configuration.retry_after.to_s }
    end
  end

  # The call was interrupted (Thread#kill, Timeout) before it finished; nothing
  # was written. Usually the interrupting exception is raised instead.
  class Interrupted < ServiceUnavailable
  end

  class InternalError < Error
    STATUS = 500
  end

  # RmtRs.configure was not called.
  class NotConfigured < Error
    STATUS = 500
  end
end
