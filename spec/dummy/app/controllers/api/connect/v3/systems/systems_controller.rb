# frozen_string_literal: true

module Api
  module Connect
    module V3
      module Systems
        # RMT's keepalive (`PUT /connect/systems`), the part SUSEConnect's
        # periodic update uses: hostname and hwinfo (merged into the stored
        # hwinfo as RMT merges it), a refreshed system token, 204. Uptime and
        # profile updates are left out. RmtRs does not take this action over.
        class SystemsController < Api::Connect::BaseController
          before_action :authenticate_system
          after_action :refresh_system_token, only: [:update], if: -> { request.headers.key?(SYSTEM_TOKEN_HEADER) }

          def update
            @system.hostname = params[:hostname]
            hwinfo = params.permit(hwinfo: {})[:hwinfo]
            @system.system_information = @system.system_information_hash.update(hwinfo.to_h).to_json
            @system.save
            head :no_content
          end
        end
      end
    end
  end
end
