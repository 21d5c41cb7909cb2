# frozen_string_literal: true

module RmtRs
  module Ownership
    # Where the RMT releases RmtRs knows behave differently in what RmtRs does:
    # which behaviour the running app has, told by the fingerprint of the code
    # that differs (FINGERPRINTS names the releases of each version), never by
    # RMT's version string, so that a site's tree or a backported fix decides
    # by its code. RMT before 2.26 (no system profiles) is left to RMT whole.
    # Why every action of an RMT before 2.26 stays on RMT's path.
    UNSUPPORTED = "this RMT has no system profiles (a release before 2.26)"

    module Release
      # The products controller's check of a product's service: 2.26 and 2.27
      # also refuse a product whose service has no repositories.
      SERVICE_CHECK = "Api::Connect::V3::Systems::ProductsController#check_product_service_and_repositories"
      # scc_proxy's authentication: 2.28's looks for unknown credentials again
      # while registration sharing has peers (fetch_systems_from_db), 2.27's once.
      SCC_PROXY_AUTHENTICATION = "ApplicationController#authenticate_system"

      module_function

      # Whether the app is an RMT RmtRs can answer for at all: one with system
      # profiles (2.26 on).
      def supported?
        !::SystemProfile.nil?
      rescue NameError
        false
      end

      def repositories_required?
        decided.fetch(:repositories_required)
      end

      # Asked for every public-cloud request (RmtRs::Pubcloud.wait_for_peers?).
      def scc_proxy_waits_for_peers?
        decided.fetch(:scc_proxy_waits_for_peers)
      end

      # Read from the code once, not per request (the code does not change
      # under a running app); again after Ownership.reset! (a code reload).
      def decided
        @decided ||= {
          repositories_required: (Ownership.releases_of(SERVICE_CHECK, :rmt) & %w[2.26 2.27]).any?,
          scc_proxy_waits_for_peers: Ownership.releases_of(SCC_PROXY_AUTHENTICATION, :pubcloud).include?("2.28")
        }
      end

      def reset!
        @decided = nil
      end

      # Tells the binding (RmtRs::Native) which behaviour to have.
      def apply
        RmtRs::Native.release = repositories_required?
      end
    end
  end
end
