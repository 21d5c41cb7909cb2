# frozen_string_literal: true

module RmtRs
  # Product activation and the product tree of RMT's connect API, done in Rust.
  module Products
    # The request parameters RMT's products controller reads.
    PARAMS = %w[identifier version arch token payload installed_products target_base_product products].freeze
    # The fields RMT reads of a product a migration request lists.
    LISTED_FIELDS = %w[identifier version arch release_type].freeze

    module_function

    # What RMT's `POST /connect/systems/products` does: authenticates the system
    # (basic credentials, System-Token), checks the product, its repositories,
    # the subscription and the base products in RMT's order, writes the
    # activation and answers with the product's service.
    #
    # caller   - an RmtRs::Caller: the credentials and headers, RMT's
    #            switches, and with RMT's public-cloud engines its `cloud`
    #            and `identify`
    # params   - the request parameters (identifier, version, arch, token, or
    #            the legacy payload string)
    # base_url - "scheme://host[:port]" of the request, for the URLs
    #
    # Returns a Response whose body is RMT's JSON as a String; a refusal is a
    # Response too (401/422 with RMT's error JSON), as RMT renders it. With the
    # caller's `cloud`, an activation that passed RMT's checks returns a
    # Seam::Pending instead: the engines' checks come next, then `finish`.
    def activate(caller:, params:, base_url:)
      call("activate", caller, params, base_url)
    end

    # What RMT's `GET /connect/systems/products` does: the same authentication
    # and checks, then the product with its extension tree.
    def show(caller:, params:, base_url:)
      call("show", caller, params, base_url)
    end

    # What RMT's `DELETE /connect/systems/products` (API v4) does: the same
    # authentication, RMT's refusals for a base product, a product others
    # depend on and one not activated, then the activation removed and the
    # product's service answered (200). With the caller's `cloud`, a
    # Seam::Pending once the product is found: scc_proxy's deactivation on SCC
    # comes next, then `finish`.
    def deactivate(caller:, params:, base_url:)
      call("destroy", caller, params, base_url)
    end

    # What RMT's `PUT /connect/systems/products` does (a migration's step):
    # the same authentication and checks as an activation (not the
    # repositories), then the activations of the product's predecessors and
    # successors replaced by its own, and its service answered (201) naming
    # the obsoleted one. With the caller's `cloud`, a Seam::Pending first, as
    # for `activate`.
    def upgrade(caller:, params:, base_url:)
      call("upgrade", caller, params, base_url)
    end

    # What RMT's `POST /connect/systems/products/synchronize` (API v4) does:
    # the same authentication, then the activations of the system's products
    # missing from params["products"] (Hashes of identifier, version, arch)
    # removed, and the system's products answered, their URLs under `base_url`.
    def synchronize(caller:, params:, base_url:)
      call("synchronize", caller, params, base_url)
    end

    # What RMT's `POST /connect/systems/products/migrations` does: the same
    # authentication, then the online migration paths of the products listed
    # in params["installed_products"] (Hashes of identifier, version, arch and
    # optionally release_type), as RMT's MigrationEngine finds them: a JSON
    # list of paths, each a list of products, base first.
    def migrations(caller:, params:, base_url: "")
      call("migrations", caller, params, base_url)
    end

    # What RMT's `POST /connect/systems/products/offline_migrations` does:
    # the offline paths to params["target_base_product"].
    def offline_migrations(caller:, params:, base_url: "")
      call("offline_migrations", caller, params, base_url)
    end

    # Whether RMT's migration actions read `params` as RmtRs does: no legacy
    # payload, a list of installed products (or none), products named by text.
    # Anything else makes RMT's actions fail (500) or read the payload, so
    # RMT's own path answers it.
    def migration_request?(params, offline:)
      installed = params["installed_products"]
      return false if params.key?("payload")
      return false unless installed.nil? ? !params.key?("installed_products") : installed.is_a?(Array)
      return false unless installed.to_a.all? { |item| !item.is_a?(Hash) || named_by_text?(item) }

      !offline || !params.key?("target_base_product") || named_by_text?(params["target_base_product"])
    end

    # Whether `product` (a Hash) names a product by text: the fields RMT reads
    # are Strings or nil (RMT's `permit` drops lists and objects, and fails on
    # numbers where it cleans up the version).
    def named_by_text?(product)
      product.is_a?(Hash) && LISTED_FIELDS.all? { |field| [NilClass, String].include?(product[field].class) }
    end

    # What RMT's `GET /connect/subscriptions/products` (API v4) does: the
    # subscription of `regcode` (RMT's 401s for an unknown or not activated
    # one), its products narrowed by identifier, version, arch and release_type
    # in `params`, each with its extension tree. `cloud`: RMT runs with its
    # public-cloud engines (their URLs and `free`).
    def subscription_products(regcode:, params:, base_url:, cloud: false)
      answered(:product_listing, "subscription_products", regcode.to_s, params.to_h.slice(*LISTED_FIELDS), base_url.to_s,
               cloud)
    end

    # What RMT's `GET /connect/repositories/installer` (API v4) does: the
    # mirrored installer-update repositories of the product `params` names,
    # RMT's 422s for missing parameters and an unknown product.
    def installer_repositories(params:, base_url:, cloud: false)
      answered(:product_listing, "installer_repositories", nil, params.to_h.slice(*LISTED_FIELDS), base_url.to_s, cloud)
    end

    # Writes a Seam::Pending activation (deactivation, upgrade) once the
    # engines' checks passed.
    def finish(pending, base_url:)
      answered(:finish, pending.ticket, base_url.to_s)
    end

    def call(action, caller, params, base_url)
      identified(caller) do |identifiers|
        Native.product_request(action, caller, identifiers, wanted(params), base_url.to_s)
      end
    end

    # The outcome (Seam.outcome) of the binding's call the block makes with
    # the instance identifiers found so far, timed: none at first; with the
    # engines, when that call asks for them (Seam::Identify), asked again with
    # those the caller's `identify` finds. `caller` may be nil where the
    # endpoint authenticates no one (Services.repoindex).
    def identified(caller)
      configured!
      outcome = Seam.outcome(Runtime.measure { yield nil })
      return outcome unless outcome.is_a?(Seam::Identify)

      identifiers = caller.identify.call(outcome.wanted)
      outcome = Seam.outcome(Runtime.measure { yield identifiers })
      raise Error, "RmtRs asked for instance identifiers twice" if outcome.is_a?(Seam::Identify)

      outcome
    end

    # The binding's `method` with `args`, timed, as a Response: how every
    # endpoint that authenticates no system, or one already found, calls into Rust.
    def answered(method, *args)
      configured!
      Seam.outcome(Runtime.measure { Native.public_send(method, *args) })
    end

    def configured!
      raise NotConfigured, "RmtRs is not configured: call RmtRs.configure first" unless Native.configured?
    end

    def wanted(params)
      params.to_h.each_with_object({}) do |(key, value), out|
        out[key.to_s] = value.respond_to?(:to_unsafe_h) ? value.to_unsafe_h : value if PARAMS.include?(key.to_s)
      end
    end
  end
end
