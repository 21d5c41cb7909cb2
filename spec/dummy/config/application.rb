# frozen_string_literal: true

# An RMT-compatible host app for the parity specs and the benchmark: Rails 6.1
# API-only, with RMT's class names, routes and Ruby registration path, written
# from RMT's behaviour. Its database is the private MariaDB (DUMMY_DATABASE).
require "rails"
require "active_model/railtie"
require "active_record/railtie"
require "action_controller/railtie"
require "rmt_rs"
require "rmt_rs/railtie"
require_relative "../lib/worker_pid_header"

module Dummy
  class Application < Rails::Application
    config.load_defaults 6.1
    config.api_only = true
    config.eager_load = false
    config.root = File.expand_path("..", __dir__)
    # Errors only (the exceptions Rails rescues, with their class), to DUMMY_LOG.
    config.logger = ActiveSupport::Logger.new(ENV.fetch("DUMMY_LOG", File::NULL))
    config.log_level = :error
    config.active_record.default_timezone = :utc
    config.hosts.clear
    config.secret_key_base = "dummy"
    config.autoload_paths << File.expand_path("../lib", __dir__)
    config.middleware.insert_before 0, WorkerPidHeader
    # `script/herd faults` interrupts requests the way operators do: Rack::Timeout
    # where its own Railtie puts it, its per-request log lines off.
    if ENV["RACK_TIMEOUT"]
      require "rack/timeout/base"
      Rack::Timeout::Logger.disable
      config.middleware.insert_before Rack::Runtime, Rack::Timeout, service_timeout: Integer(ENV["RACK_TIMEOUT"])
    end
  end
end
