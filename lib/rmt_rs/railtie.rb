# frozen_string_literal: true

require "rails/railtie"

module RmtRs
  # Switches RMT's announce action to RmtRs when enabled, in RMT's
  # config/initializers/rmt_rs.rb:
  #
  #   Rails.application.config.rmt_rs.enabled = true
  #
  # or with RMT_RS=1 in the environment. Off by default: then nothing of RMT
  # changes. The database settings are the app's own ActiveRecord ones.
  class Railtie < ::Rails::Railtie
    config.rmt_rs = ActiveSupport::OrderedOptions.new
    config.rmt_rs.enabled = %w[1 true yes on].include?(ENV.fetch("RMT_RS", "").downcase)

    config.to_prepare do
      next unless RmtRs::Railtie.enabled?

      controller = "Api::Connect::V3::Subscriptions::SystemsController".safe_constantize
      controller&.prepend(RmtRs::AnnounceAction) unless controller&.include?(RmtRs::AnnounceAction)
      %w[Api::Connect::V3::Systems::ProductsController Api::Connect::V4::Systems::ProductsController].each do |name|
        RmtRs::ProductsAction.install(name.safe_constantize)
      end
    end

    config.after_initialize do
      next unless RmtRs::Railtie.enabled?

      RmtRs.configure(database: ActiveRecord::Base.connection_db_config.configuration_hash)
    end

    rake_tasks do
      namespace :rmt_rs do
        namespace :catalog_tracking do
          desc "Let RmtRs cache product trees: install its catalog version table and triggers"
          task install: :environment do
            RmtRs.configure(database: ActiveRecord::Base.connection_db_config.configuration_hash)
            RmtRs.install_catalog_tracking
          end

          desc "Remove RmtRs's catalog version table and triggers (RmtRs then reads trees on every request)"
          task uninstall: :environment do
            sql = File.read(File.expand_path("../../db/catalog_tracking_uninstall.sql", __dir__))
            sql.scan(/^(?:DROP)[^;]*;/).each { |statement| ActiveRecord::Base.connection.execute(statement) }
          end
        end
      end
    end

    def self.enabled?
      ::Rails.application.config.rmt_rs.enabled
    end
  end

  # Renders what RmtRs answered, or the RmtRs::Error it raised, with its headers.
  module Rendering
    private

    def render_rmt_rs
      answer = begin
        yield
      rescue RmtRs::Error => e
        e
      end
      answer.headers.each { |name, value| response.headers[name] = value }
      render json: answer.body, status: answer.status
    end
  end

  # The products controller's `activate` and `show` done by RmtRs, RMT's
  # before/after actions included (they are skipped while the flag is on, per
  # request). Without basic credentials the client gets RMT's challenge.
  module ProductsAction
    include Rendering

    RUBY_BEFORE_ACTIONS = %i[authenticate_system require_product check_product_service_and_repositories
                             load_subscription check_base_product_dependencies].freeze
    ACTIONS = %w[activate show].freeze

    def self.install(controller)
      return if controller.nil? || controller.include?(self)

      controller.prepend(self)
      rust = -> { RmtRs::Railtie.enabled? && ACTIONS.include?(action_name) }
      controller.skip_before_action(*RUBY_BEFORE_ACTIONS, if: rust, raise: false)
      controller.skip_after_action(:refresh_system_token, if: rust, raise: false)
    end

    def activate
      RmtRs::Railtie.enabled? ? rmt_rs_products(:activate) : super
    end

    def show
      RmtRs::Railtie.enabled? ? rmt_rs_products(:show) : super
    end

    private

    def rmt_rs_products(action)
      basic = ActionController::HttpAuthentication::Basic
      unless basic.has_basic_credentials?(request)
        return basic.authentication_request(self, "RMT API", nil)
      end

      login, password = basic.user_name_and_password(request)
      token = request.headers.key?("System-Token") ? request.headers["System-Token"].to_s : nil
      render_rmt_rs do
        RmtRs::Products.public_send(action, login: login, password: password, params: params.to_unsafe_h,
                                            base_url: request.base_url, system_token: token,
                                            user_agent: request.user_agent)
      end
    end
  end

  # The announce action done by RmtRs. Checks the flag per request, so switching
  # it off at run time restores RMT's own action.
  module AnnounceAction
    include Rendering

    def announce_system
      return super unless RmtRs::Railtie.enabled?

      hwinfo = params.permit(hwinfo: {})[:hwinfo]
      profiles = params.key?(:system_profiles) ? params.permit(system_profiles: {})[:system_profiles] : nil
      render_rmt_rs do
        RmtRs::Registration.announce_system(hostname: params[:hostname], hwinfo: hwinfo&.to_h,
                                            system_profiles: profiles&.to_h)
      end
    end
  end
end
