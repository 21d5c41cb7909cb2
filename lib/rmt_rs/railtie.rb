# frozen_string_literal: true

require "rails/railtie"
require_relative "ownership"
require_relative "pubcloud"
require_relative "controller_hook"
require_relative "fast_lane"

module RmtRs
  # Switches RMT's connect API over a system's whole life (announce,
  # activations and the product tree, keepalives, service refreshes,
  # migrations, deregistration, product listings, with or without the
  # public-cloud engines) to RmtRs when enabled, in RMT's
  # config/initializers/rmt_rs.rb:
  #
  #   Rails.application.config.rmt_rs.enabled = true
  #
  # or with RMT_RS=1 in the environment. Off by default: then nothing of RMT
  # changes. The database settings are the app's own ActiveRecord ones.
  #
  # This only boots: it hooks the controllers (ControllerHook, which answers
  # the actions Ownership says RmtRs owns and renders them with Rendering),
  # adds the fast lane's middleware, configures RmtRs's pool and logs what
  # stays on RMT's path.
  class Railtie < ::Rails::Railtie
    config.rmt_rs = ActiveSupport::OrderedOptions.new
    config.rmt_rs.enabled = %w[1 true yes on].include?(ENV.fetch("RMT_RS", "").downcase)
    # The fast lane (RmtRs::FastLane), on top of `enabled`: off by default.
    config.rmt_rs.fast_lane = %w[1 true yes on].include?(ENV.fetch("RMT_RS_FAST_LANE", "").downcase)

    # After the app's own initializers (config/initializers/rmt_rs.rb may
    # switch it on), before Rails builds the middleware stack. Switched off at
    # boot, the stack stays as RMT has it.
    initializer "rmt_rs.fast_lane", after: :load_config_initializers do |app|
      app.config.middleware.use RmtRs::FastLane if app.config.rmt_rs.fast_lane
    end

    config.to_prepare do
      next unless RmtRs::Railtie.enabled?

      RmtRs::Ownership.reset!
      RmtRs::FastLane.reset!
      RmtRs::Ownership.controllers.each do |controller|
        next if controller <= RmtRs::ControllerHook

        controller.prepend(RmtRs::ControllerHook, RmtRs::Runtime::ControllerRuntime)
      end
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
      load File.expand_path("tasks/ownership.rake", __dir__)
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
      ::Rails.application.config.rmt_rs.enabled
    end

    # RmtRs's pool from the app's ActiveRecord settings. RMT's settings have no
    # socket key: for `host: localhost` RmtRs asks the server ActiveRecord reached
    # which socket it listens on, as mysql2 found it.
    def self.configure_from(settings)
      settings = settings.to_h.transform_keys(&:to_s)
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
