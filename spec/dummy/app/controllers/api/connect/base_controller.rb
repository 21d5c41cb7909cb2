# frozen_string_literal: true

module Api
  module Connect
    # RMT's base for the connect API: required parameters and the system token.
    class BaseController < ApplicationController
      protected

      def require_params(keys)
        payload = JSON.parse(params[:payload]) if params[:payload].is_a?(String)
        parameters = payload || params
        missing = keys.map(&:to_s).reject { |key| parameters.key?(key) }
        return if missing.empty?

        raise ActionController::TranslatedError.new("Required parameters are missing or empty: %s", missing.join(", "))
      end

      def system_token_header
        headers[SYSTEM_TOKEN_HEADER] = @system.system_token
      end

      def refresh_system_token
        @system.update(system_token: SecureRandom.uuid)
        system_token_header
      end
    end
  end
end
