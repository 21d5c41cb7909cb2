# frozen_string_literal: true

# Loaded by the RMT tree that script/rmt prepares (config/initializers/
# zz_rmt_rs_harness.rb), never by an operator's RMT. Adds what the project's
# Puma specs and benchmark measure with, each only when asked for:
#   RMT_RS_WORKER_HEADER=1  every answer names the Puma worker that served it
#   RACK_TIMEOUT=seconds    Rack::Timeout, as operators put it in front of RMT
#   RMT_METRICS_ENABLED=true  yabeda-puma-plugin's exporter on this machine's Puma 5
#   RMT_RS_BARE=1           GET /rmt_rs_bare answered at the top of the stack
if ENV["RMT_RS_WORKER_HEADER"] == "1"
  worker_pid_header = Class.new do
    def initialize(app)
      @app = app
    end

    def call(env)
      status, headers, body = @app.call(env)
      headers["X-Worker-Pid"] = Process.pid.to_s
      [status, headers, body]
    end
  end
  Rails.application.config.middleware.insert_before 0, worker_pid_header
end

# RMT 2.28 locks Puma 6.6.1; this machine runs Debian's Puma 5.6.5, where
# yabeda-puma-plugin 0.9.0's exporter (RMT's metrics, started in Puma's master
# once it booted, after this app loaded there) asks for Puma 6's LogWriter.
# Puma 5's Events is that role there (`stdio`, `null`, `log`), and its
# Server takes the same arguments, ignoring `log_writer:`. A stand-in for this
# machine's Puma only: with Puma 6 it does nothing.
puma = Gem.loaded_specs["puma"]
if ENV["RMT_METRICS_ENABLED"] == "true" && puma && puma.version < Gem::Version.new("6")
  require "puma/events"
  Puma::LogWriter = Puma::Events unless defined?(Puma::LogWriter)
end

if ENV["RACK_TIMEOUT"]
  require "rack/timeout/base"
  Rack::Timeout::Logger.disable
  Rails.application.config.middleware.insert_before Rack::Runtime, Rack::Timeout,
                                                    service_timeout: Integer(ENV["RACK_TIMEOUT"])
end

# RMT_RS_CLOUD_PROVIDER=1: RMT's example instance verification provider finds
# the instance id in the instance data (`"instanceId":"i-..."`), as SUSE's AWS
# provider finds it in the identity document, so a PAYG herd registers under
# instance identifiers as in a region (the example provider finds none).
if ENV["RMT_RS_CLOUD_PROVIDER"] == "1"
  Rails.application.config.after_initialize do
    # Not in an RMT without its engines loaded (a new tree's schema load in
    # the test environment, run with the server's environment).
    next unless defined?(InstanceVerification::Providers::Example)

    InstanceVerification::Providers::Example.class_eval do
      def instance_identifier
        @instance_data.to_s[/"instanceId"\s*:\s*"([^"]+)"/, 1]
      end
    end
  end
end

# RMT_RS_TIMINGS=PREFIX: one line per request a controller answered, to
# PREFIX.<pid>, for the herd's "where the time goes" table: controller#action,
# status, then milliseconds: the whole request inside Rails (from the top of
# the middleware stack until the answer is back there) in wall time and thread
# CPU, parameter parsing (the query string and body into `params`, which Rails
# does before the action is timed), and Rails' own figures for the action:
# duration, CPU, ActiveRecord, RmtRs, views.
if ENV["RMT_RS_TIMINGS"]
  module RmtRsHarnessTimings
    KEY = :rmt_rs_harness_timings
    def self.clock(kind) = Process.clock_gettime(kind, :float_millisecond)
    def self.current = Thread.current[KEY]

    # First thing in the middleware stack: the request's whole time in Rails.
    class Middleware
      def initialize(app)
        @app = app
      end

      def call(env)
        timings = Thread.current[KEY] = { params: 0.0 }
        wall = RmtRsHarnessTimings.clock(Process::CLOCK_MONOTONIC)
        cpu = RmtRsHarnessTimings.clock(Process::CLOCK_THREAD_CPUTIME_ID)
        @app.call(env)
      ensure
        if timings&.key?(:action)
          total = [RmtRsHarnessTimings.clock(Process::CLOCK_MONOTONIC) - wall,
                   RmtRsHarnessTimings.clock(Process::CLOCK_THREAD_CPUTIME_ID) - cpu]
          line = [*timings[:action].first(2), *total, timings[:params], *timings[:action].drop(2)]
          RmtRsHarnessTimings.write(line.map { |v| v.is_a?(Float) ? v.round(3) : v }.join("\t"))
        end
        Thread.current[KEY] = nil
      end
    end

    # Rails parses the parameters once, on the first `parameters` call.
    module Parameters
      def parameters
        timings = RmtRsHarnessTimings.current
        return super if timings.nil? || has_header?("action_dispatch.request.parameters")

        start = RmtRsHarnessTimings.clock(Process::CLOCK_MONOTONIC)
        super.tap { timings[:params] += RmtRsHarnessTimings.clock(Process::CLOCK_MONOTONIC) - start }
      end
    end

    LOCK = Mutex.new
    def self.write(line)
      LOCK.synchronize { File.write("#{ENV['RMT_RS_TIMINGS']}.#{Process.pid}", "#{line}\n", mode: "a") }
    end
  end
  ActionDispatch::Request.prepend(RmtRsHarnessTimings::Parameters)
  Rails.application.config.middleware.insert_before 0, RmtRsHarnessTimings::Middleware
  ActiveSupport::Notifications.subscribe("process_action.action_controller") do |event|
    p = event.payload
    timings = RmtRsHarnessTimings.current
    next unless timings

    timings[:action] = ["#{p[:controller]}##{p[:action]}", p[:status], event.duration, event.cpu_time,
                        p[:db_runtime], p[:rmt_rs_runtime], p[:view_runtime]]
  end
end

# The benchmark's floor of a request's cost in this Puma (`--scenario bare`):
# answered before any of the app's middleware (inserted last, at the top: the
# timings' middleware above included), no Rails, no log line.
if ENV["RMT_RS_BARE"] == "1"
  bare = Class.new do
    def initialize(app)
      @app = app
    end

    def call(env)
      if env["PATH_INFO"] == "/rmt_rs_bare" && env["REQUEST_METHOD"] == "GET"
        return [200, { "Content-Type" => "application/json" }, ['{"state":"online"}']]
      end

      @app.call(env)
    end
  end
  Rails.application.config.middleware.insert_before 0, bare
end
