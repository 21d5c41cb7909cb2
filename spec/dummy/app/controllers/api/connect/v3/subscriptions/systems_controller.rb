# frozen_string_literal: true

module Api
  module Connect
    module V3
      module Subscriptions
        # RMT's announce, the Ruby path.
        class SystemsController < Api::Connect::BaseController
          def announce_system
            create_params = { hostname: params[:hostname], system_information: info_params(:hwinfo)[:hwinfo].to_json }
            process_system_profiles(create_params)
            system = System.create!(**create_params)
            # RMT's V3::SystemSerializer
            render json: { id: system.id, login: system.login, password: system.password,
                           last_seen_at: system.last_seen_at }, status: :created
          end

          private

          def process_system_profiles(create_params)
            return unless params.key?(:system_profiles)

            profiles = info_params(:system_profiles)[:system_profiles]
            complete, incomplete, invalid = Profile.filter_profiles(profiles.to_h)
            response.headers["X-System-Profiles-Action"] = "clear-cache" if incomplete.any? || invalid.any?
            create_params[:complete_profiles] = complete if complete.any?
          end

          def info_params(key)
            params.permit(key => {})
          end
        end
      end
    end
  end
end
