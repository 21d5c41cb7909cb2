# frozen_string_literal: true

require "rails/railtie"
require_relative "ownership"
require_relative "pubcloud"
require_relative "instance_cache"
require_relative "controller_hook"
require_relative "health"
require_relative "status"
require_relative "metrics"

module RmtRs
  # Switches RMT's connect API over a system's whole life (announce,
  # activations and the product tree, keepalives, service refreshes,
  # migrations, deregistration, product listings, with or without the
  # public-cloud engines) to RmtRs when enabled: `rmt_rs: enabled: true` in
  # /etc/rmt.conf (RmtRs::Settings), an initializer's
  #
  #   Rails.application.config.rmt_rs.enabled = true
  #
  # or RMT_RS=1 in the environment (highest first: the environment, an
  # initializer, /etc/rmt.conf). Off by default: then nothing of RMT changes.
  # The database settings are the app's own ActiveRecord ones.
  #
  # This only boots: it hooks the controllers (ControllerHook, which answers
  # the actions Ownership says RmtRs owns and renders them with Rendering),
  # configures RmtRs's pool and logs what stays on RMT's path.
  class Railtie < ::Rails::Railtie
    # `enabled` and `metrics` stay nil until an initializer sets them;
    # rmt_rs.settings decides them then.
    config.rmt_rs = ActiveSupport::OrderedOptions.new

    # After the app's own initializers (one may switch RmtRs on or off), with
    # RMT's settings loaded (RMT loads them when the app is defined). An
    # `rmt_rs:` section RmtRs cannot take stops the boot here, naming it; a
    # retired switch still set only gets a line.
    initializer "rmt_rs.settings", after: :load_config_initializers do |app|
      options = app.config.rmt_rs
      options.section = RmtRs::Settings.from_rmt
      RmtRs::Settings.retired(options: options).each { |line| ::Rails.logger.warn(line) }
      options.enabled, options.enabled_by =
        RmtRs::Settings.switch("enabled", env: "RMT_RS", initializer: options.enabled, section: options.section)
      options.metrics, options.metrics_by = RmtRs::Settings.switch("metrics", env: "RMT_RS_METRICS", initializer: options.metrics,
                                                                              section: options.section, default: true)
    end

    # RmtRs's families in RMT's Prometheus metrics (RmtRs::Metrics): only with
    # RMT's own metrics on (RMT's yabeda initializer, among the app's, has run)
    # and RmtRs on; before yabeda registers every declared metric after the app
    # initialized. Off, nothing is declared or subscribed.
    initializer "rmt_rs.metrics", after: "rmt_rs.settings" do |app|
      options = app.config.rmt_rs
      RmtRs::Metrics.install! if options.enabled && options.metrics && RmtRs::Metrics.rmt_metrics?
    end

    # Before Rails builds the middleware stack. Switched off at boot, the
    # stack stays as RMT has it. Arrival::Stamp first of all: the earliest a
    # request without nginx's X-Request-Start is seen in Ruby.
    initializer "rmt_rs.arrival", after: "rmt_rs.settings" do |app|
      app.config.middleware.insert_before 0, RmtRs::Arrival::Stamp if app.config.rmt_rs.enabled
    end

    config.to_prepare do
      next unless RmtRs::Railtie.enabled?

      RmtRs::Ownership.reset!
      RmtRs::Ownership.controllers.each do |controller|
        next if controller <= RmtRs::ControllerHook

        controller.prepend(RmtRs::ControllerHook, RmtRs::Runtime::ControllerRuntime)
      end
      # RMT's health check: its own answer unless health_when_saturated is set
      # and this worker is saturated (RmtRs::Health).
      health = "Api::HealthController".safe_constantize
      health.prepend(RmtRs::Health) if health && !(health <= RmtRs::Health)
    end

    # Rails' request log line asks ActionController::Base for its additions,
    # whatever the controller's class (as ActiveRecord's runtime does).
    initializer "rmt_rs.log_runtime" do
      ActiveSupport.on_load(:action_controller_base) do
        singleton_class.prepend(RmtRs::Runtime::ControllerRuntime::Logging)
      end
    end

    # Registered while the app initializes, so that it runs after every
    # after_initialize the engines registered when they were required: that is
    # where RMT's pubcloud engines add their callbacks.
    initializer "rmt_rs.take_over" do |app|
      app.config.after_initialize do
        next unless RmtRs::Railtie.enabled?

        RmtRs::Railtie.configure_from(ActiveRecord::Base.connection_db_config.configuration_hash)
        RmtRs::Ownership.reset!
        ::Rails.logger.info("RmtRs #{RmtRs::VERSION} on, from #{app.config.rmt_rs.enabled_by}")
        if (health = (app.config.rmt_rs.section || {})["health_when_saturated"])
          ::Rails.logger.info("RmtRs: health check on (health_when_saturated: #{health}): /api/health/status answers " \
                              "503 {\"state\":\"#{RmtRs::Health::STATE}\"} while this worker's requests wait #{health} s " \
                              "or more, else RMT's answer")
        end
        unless RmtRs::Ownership::Release.supported?
          next ::Rails.logger.warn("RmtRs: #{RmtRs::Ownership::UNSUPPORTED}: every action stays on RMT's Ruby path")
        end

        RmtRs::Ownership::Release.apply
        # One line per action left to RMT (an engine or site code RmtRs does not
        # know), so an operator sees what RmtRs does not answer.
        RmtRs::Ownership.report.each do |controller, action, reason|
          ::Rails.logger.warn("RmtRs: #{controller}##{action} stays on RMT's Ruby path: #{reason}") if reason
        end
      end
    end

    rake_tasks do
      load File.expand_path("tasks/rmt_rs.rake", __dir__)
      namespace :rmt_rs do
        namespace :catalog_tracking do
          desc "Let RmtRs cache product trees: install its catalog version table and triggers"
          task install: :environment do
            RmtRs::Railtie.configure_from(ActiveRecord::Base.connection_db_config.configuration_hash)
            RmtRs.install_catalog_tracking
          end

          desc "Remove RmtRs's catalog version table and triggers (RmtRs then reads trees on every request)"
          task uninstall: :environment do
            sql = File.read(File.expand_path("../../db/catalog_tracking_uninstall.sql", __dir__))
            # One statement after another, in the file's order (see its comment).
            sql.gsub(/^--.*$/, "").split(/;\s*$/).map(&:strip).reject(&:empty?).each do |statement|
              ActiveRecord::Base.connection.execute(statement)
            end
          end
        end
      end
    end

    def self.enabled?
      ::Rails.application.config.rmt_rs.enabled ? true : false
    end

    # RmtRs's pool from the app's ActiveRecord settings. RMT's settings have no
    # socket key: for `host: localhost` RmtRs asks the server ActiveRecord reached
    # which socket it listens on, as mysql2 found it.
    def self.configure_from(settings)
      settings = RmtRs::Settings.database(settings, ::Rails.application.config.rmt_rs.section || {})
      if Configuration.local?(settings) && settings["socket"].to_s.empty?
        settings = settings.merge("socket" => Configuration.find_socket(server_socket))
      end
      RmtRs.configure(database: settings)
    end

    def self.server_socket
      ActiveRecord::Base.connection_pool.with_connection { |c| c.select_value("SELECT @@socket") }
    rescue StandardError
      nil
    end
  end
end
