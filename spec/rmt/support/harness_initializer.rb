# frozen_string_literal: true

# Loaded by the RMT tree that script/rmt prepares (config/initializers/
# zz_rmt_rs_harness.rb), never by an operator's RMT. Adds what the project's
# Puma specs and benchmark measure with, each only when asked for:
#   RMT_RS_WORKER_HEADER=1  every answer names the Puma worker that served it
#   RACK_TIMEOUT=seconds    Rack::Timeout, as operators put it in front of RMT
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

if ENV["RACK_TIMEOUT"]
  require "rack/timeout/base"
  Rack::Timeout::Logger.disable
  Rails.application.config.middleware.insert_before Rack::Runtime, Rack::Timeout,
                                                    service_timeout: Integer(ENV["RACK_TIMEOUT"])
end
