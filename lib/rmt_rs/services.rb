# frozen_string_literal: true

module RmtRs
  # Zypper's service refresh in RMT, done in Rust.
  module Services
    module_function

    # What RMT's `GET /services/:id` answers: the service's repository index
    # (XML, as RMT's Builder writes it), or RMT's 404 XML for an unknown
    # service. RMT authenticates zypper's requests only, to record that the
    # system was seen (not when several systems share the credentials):
    # pass their `caller` (as for RmtRs::Products.activate), nil for any other
    # client.
    #
    # Returns a Response whose body is the XML (200, 404) or RMT's JSON
    # refusal of unknown credentials (401).
    #
    # With RMT's public-cloud engines (the caller's `cloud`; a caller always):
    # authenticated as scc_proxy does, strict_authentication's plain 403
    # unless a system with the credentials activated the service, else a
    # Seam::Verify: the index with zypper_auth's URLs, to answer once the
    # engines' instance verification passed on that system.
    def repoindex(id:, base_url:, caller: nil)
      Products.identified(caller) { |identifiers| Native.service_index(caller, identifiers, base_url.to_s, id.to_s) }
    end

    # What RMT's legacy `GET /repo/repoindex.xml` answers (SMT's single
    # service): the authenticated system's mirrored repositories of its
    # activations, each URL with SMT's service name as credentials.
    #
    # Returns a Response whose body is the XML (200), or RMT's JSON refusal.
    # With RMT's public-cloud engines (the caller's `cloud`, as for
    # RmtRs::Products.activate): authenticated as scc_proxy does, a
    # Seam::Verify: the index with zypper_auth's URLs, to answer once the
    # engines' instance verification passed on the system.
    def legacy_repoindex(caller:, base_url:)
      Products.identified(caller) { |identifiers| Native.legacy_repoindex(caller, identifiers, base_url.to_s) }
    end

    # What strict_authentication's `GET /api/auth/check` (with RMT's
    # public-cloud engines) decides from the database: whether the system may
    # download `uri` (nginx's `X-Original-URI`). Authenticated as scc_proxy
    # does (the caller's `cloud`, as for RmtRs::Products.activate); returns
    # RMT's refusal (401), or a Seam::Verify whose answer's status is the
    # verdict (200, 403) for zypper_auth's instance verification (and a BYOS
    # or hybrid system's SCC checks) to confirm.
    def auth_check(caller:, uri:, instance_identifier: nil, instance_version: nil)
      Products.identified(caller) do |identifiers|
        Native.auth_check(caller, identifiers, uri&.to_s, instance_identifier&.to_s, instance_version&.to_s)
      end
    end

    # Whether RMT sends some repositories to other hosts (RMT's
    # `redirect_repo_hosts`): RmtRs leaves the index to RMT then.
    def redirects?
      defined?(::RMT::Config) && ::RMT::Config.respond_to?(:redirect_repo_hosts) &&
        ::RMT::Config.redirect_repo_hosts.present?
    end
  end
end
