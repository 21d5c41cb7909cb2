# frozen_string_literal: true

module RmtRs
  # zypper_auth's instance verification of nginx's auth check, whose cache hit
  # is the common case (a PAYG instance downloads every file of its
  # repositories, each checked): RmtRs's core finds the system's base product
  # and looks through the cache directory without the GVL (the `cached` of the
  # auth check's Seam::Verify), and on a hit only the hit branch of RMT's
  # `InstanceVerification.verify_instance` runs here, its registry cache
  # update being RMT's own methods. Everything else is RMT's whole method.
  #
  # RmtRs may do that only while the methods it stands in for are RMT's code:
  # the ownership table fingerprints InstanceVerification's and the provider
  # base's methods at boot; a request checks that they are still those
  # methods (a spec's stub, a patch loaded later) and that the provider keeps
  # the base's constructor (RMT builds a provider before it looks at the
  # cache; a constructor of its own could refuse there).
  module InstanceCache
    # The methods of the hit branch as RMT's engine file defines them.
    STOOD_IN_FOR = %i[verify_instance build_cache_entry reg_code_in_cache? get_cache_entries get_cache_path].freeze

    module_function

    # [remote_ip, payg cache directory] for Services.auth_check, or nil when
    # RMT's Ruby must verify (no instance data: RMT refuses at once).
    def probe(request)
      return unless request.headers.fetch("X-Instance-Data", false) && rmt_code?

      [request.remote_ip.to_s, ::InstanceVerification.get_cache_path("payg").to_s]
    end

    # `InstanceVerification.verify_instance(request, logger, system)`, its hit
    # branch only when the core found the entry (`cached`).
    def verify(request, logger, system, cached)
      (cached && hit?(request, system)) || ::InstanceVerification.verify_instance(request, logger, system)
    end

    # The hit branch of `verify_instance` for the entry the core found: the
    # registry's cache, which lasts longer than the repositories', refreshed
    # for the instance. False when it fails: RMT's whole method, meeting the
    # same failure, then answers it as RMT does (its log lines, false).
    def hit?(request, system)
      key = ::InstanceVerification.build_cache_entry(request.remote_ip, system.login, {}, "registry", "")
      ::InstanceVerification.update_cache(key, "registry", registry: true)
      true
    rescue StandardError
      false
    end

    def rmt_code?
      file = "/#{Ownership::INSTANCE_VERIFICATION}"
      STOOD_IN_FOR.all? { |name| ::InstanceVerification.method(name).source_location&.first&.end_with?(file) } &&
        base_constructor?
    end

    def base_constructor?
      provider = ::InstanceVerification.provider
      provider.is_a?(Class) && provider.instance_method(:initialize).owner == ::InstanceVerification::ProviderBase
    end
  end
end
