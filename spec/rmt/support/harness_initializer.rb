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

# RMT_RS_CLOUD_PROVIDER=1: RMT's example instance verification provider finds
# the instance id in the instance data (`"instanceId":"i-..."`), as SUSE's AWS
# provider finds it in the identity document, so a PAYG herd registers under
# instance identifiers as in a region (the example provider finds none).
if ENV["RMT_RS_CLOUD_PROVIDER"] == "1"
  Rails.application.config.after_initialize do
    InstanceVerification::Providers::Example.class_eval do
      def instance_identifier
        @instance_data.to_s[/"instanceId"\s*:\s*"([^"]+)"/, 1]
      end
    end
  end
end

# RMT_RS_TIMINGS=PREFIX: one line per request Rails answered, to PREFIX.<pid>,
# for the herd's "where the time goes" table: controller#action, status, and
# Rails' own figures (ms): duration, CPU, ActiveRecord, RmtRs, views.
if ENV["RMT_RS_TIMINGS"]
  timings = Mutex.new
  ActiveSupport::Notifications.subscribe("process_action.action_controller") do |event|
    p = event.payload
    line = ["#{p[:controller]}##{p[:action]}", p[:status], event.duration, event.cpu_time, p[:db_runtime],
            p[:rmt_rs_runtime], p[:view_runtime]].map { |v| v.is_a?(Float) ? v.round(3) : v }.join("\t")
    timings.synchronize { File.write("#{ENV['RMT_RS_TIMINGS']}.#{Process.pid}", "#{line}\n", mode: "a") }
  end
end
