# frozen_string_literal: true

module RmtRs
  # When a request arrived, for RmtRs's deadline and its clients' patience,
  # which count from there (the core's Arrival and Budget do the arithmetic).
  #
  # nginx says it in `X-Request-Start: t=${msec}` (one line in RMT's nginx
  # configuration: docs/operators.md). Without it, the earliest instant Ruby
  # sees: Stamp's, at the top of the middleware stack, less the time Puma spent
  # receiving the body after the headers (`puma.request_body_wait`, in ms, all
  # that Puma 5.6 records). The time in Puma's listen queue and before a thread
  # took the request is invisible without nginx's header.
  module Arrival
    SEEN = "rmt_rs.seen"

    # The first middleware of the app's stack (with RmtRs on): when the request
    # reached Ruby, wall-clock, as nginx's header is.
    class Stamp
      def initialize(app)
        @app = app
      end

      def call(env)
        env[SEEN] ||= Process.clock_gettime(Process::CLOCK_REALTIME)
        @app.call(env)
      end
    end

    module_function

    # Runs the block with RmtRs's calls counting from the arrival of the
    # request of `env`.
    def during(env)
      Native.arrival(env["HTTP_X_REQUEST_START"], seen(env), socket(env))
      yield
    ensure
      Native.arrival(nil, nil, nil)
    end

    # The descriptor of the request's connection (Puma's `puma.socket`; nil
    # under another server, or a test's Rack env): the core looks at it for
    # a client that left (nginx closes its connection to Puma when its
    # client gives up), and then writes nothing.
    def socket(env)
      io = env["puma.socket"]
      io = io.to_io if io.respond_to?(:to_io)
      io.respond_to?(:fileno) ? io.fileno : nil
    rescue IOError, SystemCallError
      nil
    end

    # Seconds since the epoch: the earliest instant the host saw the request.
    def seen(env)
      seen = env[SEEN] || Process.clock_gettime(Process::CLOCK_REALTIME)
      seen - (env["puma.request_body_wait"].to_f / 1000.0)
    end
  end
end
