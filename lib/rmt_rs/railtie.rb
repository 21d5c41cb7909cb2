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
    end

    config.after_initialize do
      next unless RmtRs::Railtie.enabled?

      RmtRs.configure(database: ActiveRecord::Base.connection_db_config.configuration_hash)
    end

    def self.enabled?
      ::Rails.application.config.rmt_rs.enabled
    end
  end

  # The announce action done by RmtRs. Checks the flag per request, so switching
  # it off at run time restores RMT's own action.
  module AnnounceAction
    def announce_system
      return super unless RmtRs::Railtie.enabled?

      hwinfo = params.permit(hwinfo: {})[:hwinfo]
      profiles = params.key?(:system_profiles) ? params.permit(system_profiles: {})[:system_profiles] : nil
      result = RmtRs::Registration.announce_system(hostname: params[:hostname], hwinfo: hwinfo&.to_h,
                                                   system_profiles: profiles&.to_h)
      result.headers.each { |name, value| response.headers[name] = value }
      render json: result.body, status: result.status
    rescue RmtRs::Error => e
      render json: e.body, status: e.status
    end
  end
end
