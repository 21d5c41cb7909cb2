# frozen_string_literal: true

module RmtRs
  # Product activation and the product tree of RMT's connect API, done in Rust.
  module Products
    # The request parameters RMT's products controller reads (the core's
    # products::REQUEST_PARAMS).
    PARAMS = %w[identifier version arch token payload installed_products target_base_product products].freeze
    # The fields RMT reads of a product a migration request lists.
    LISTED_FIELDS = %w[identifier version arch release_type].freeze

    module_function

    # What RMT's `POST /connect/systems/products` does: authenticates the system
    # (basic credentials, System-Token), checks the product, its repositories,
    # the subscription and the base products in RMT's order, writes the
    # activation and answers with the product's service.
    #
    # login, password - the HTTP basic credentials (password nil when absent)
    # params          - the request parameters (identifier, version, arch,
    #                   token, or the legacy payload string)
    # base_url        - "scheme://host[:port]" of the request, for the URLs
    # system_token    - the System-Token header (nil when absent, "" when empty)
    # user_agent      - the User-Agent header
    # system_tokens   - false when RMT's connect_api.disable_system_tokens is set
    # cloud           - nil outside the public cloud; with RMT's public-cloud
    #                   engines {wait_for_peers: Boolean}, and a block that
    #                   finds instance identifiers (RmtRs::Pubcloud.identify)
    #
    # Returns a Response whose body is RMT's JSON as a String; a refusal is a
    # Response too (401/422 with RMT's error JSON), as RMT renders it. With
    # `cloud`, an activation that passed RMT's checks returns a Checked
    # instead: the engines' checks come next, then `finish`.
    def activate(login:, password:, params:, base_url:, system_token: nil, user_agent: nil, system_tokens: true,
                 cloud: nil, &identify)
      call("activate", login, password, params, base_url, system_token, user_agent, system_tokens, cloud, &identify)
    end

    # What RMT's `GET /connect/systems/products` does: the same authentication
    # and checks, then the product with its extension tree.
    def show(login:, password:, params:, base_url:, system_token: nil, user_agent: nil, system_tokens: true,
             cloud: nil, &identify)
      call("show", login, password, params, base_url, system_token, user_agent, system_tokens, cloud, &identify)
    end

    # What RMT's `DELETE /connect/systems/products` (API v4) does: the same
    # authentication, RMT's refusals for a base product, a product others
    # depend on and one not activated, then the activation removed and the
    # product's service answered (200). With `cloud`, a Checked once the
    # product is found: scc_proxy's deactivation on SCC comes next, then `finish`.
    def deactivate(login:, password:, params:, base_url:, system_token: nil, user_agent: nil, system_tokens: true,
                   cloud: nil, &identify)
      call("destroy", login, password, params, base_url, system_token, user_agent, system_tokens, cloud, &identify)
    end

    # What RMT's `PUT /connect/systems/products` does (a migration's step):
    # the same authentication and checks as an activation (not the
    # repositories), then the activations of the product's predecessors and
    # successors replaced by its own, and its service answered (201) naming
    # the obsoleted one. With `cloud`, a Checked first, as for `activate`.
    def upgrade(login:, password:, params:, base_url:, system_token: nil, user_agent: nil, system_tokens: true,
                cloud: nil, &identify)
      call("upgrade", login, password, params, base_url, system_token, user_agent, system_tokens, cloud, &identify)
    end

    # What RMT's `POST /connect/systems/products/synchronize` (API v4) does:
    # the same authentication, then the activations of the system's products
    # missing from params["products"] (Hashes of identifier, version, arch)
    # removed, and the system's products answered, their URLs under `base_url`.
    def synchronize(login:, password:, params:, base_url:, system_token: nil, user_agent: nil, system_tokens: true,
                    cloud: nil, &identify)
      call("synchronize", login, password, params, base_url, system_token, user_agent, system_tokens, cloud, &identify)
    end

    # What RMT's `POST /connect/systems/products/migrations` does: the same
    # authentication, then the online migration paths of the products listed
    # in params["installed_products"] (Hashes of identifier, version, arch and
    # optionally release_type), as RMT's MigrationEngine finds them: a JSON
    # list of paths, each a list of products, base first.
    def migrations(login:, password:, params:, base_url: "", system_token: nil, user_agent: nil, system_tokens: true,
                   cloud: nil, &identify)
      call("migrations", login, password, params, base_url, system_token, user_agent, system_tokens, cloud, &identify)
    end

    # What RMT's `POST /connect/systems/products/offline_migrations` does:
    # the offline paths to params["target_base_product"].
    def offline_migrations(login:, password:, params:, base_url: "", system_token: nil, user_agent: nil,
                           system_tokens: true, cloud: nil, &identify)
      call("offline_migrations", login, password, params, base_url, system_token, user_agent, system_tokens, cloud,
           &identify)
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

    # A public-cloud activation, deactivation or upgrade that passed
    # authentication and RMT's checks: the system's and the product's columns,
    # the System-Token header so far, and the ticket `finish` takes.
    # `token_header` is nil without a System-Token header, else [token_or_nil].
    Checked = Struct.new(:system, :product, :token_header, :ticket, keyword_init: true) do
      # "activation", "deactivation" or "upgrade".
      def finishes
        ticket[5]
      end
    end

    # An answer that goes out once the engines' checks pass on `system` (the
    # system's columns): zypper_auth's and the registry's instance
    # verification of an index, the activations list or nginx's auth check
    # (whose verdict is the answer's status); for a deregistration SCC's and
    # the registry's, before Systems.destroy answers.
    Verify = Struct.new(:answer, :system, keyword_init: true)

    # Writes a Checked activation (deactivation, upgrade) once the engines' checks passed.
    def finish(checked, base_url:)
      outcome(Runtime.measure { Native.finish(checked.ticket, base_url.to_s) })
    end

    def call(action, login, password, params, base_url, system_token, user_agent, system_tokens, cloud, &identify) # rubocop:disable Metrics/ParameterLists
      identified(cloud, identify) do |cloud_args|
        Native.product_request(action, caller(login, password, system_token, user_agent, system_tokens),
                               wanted(params), base_url.to_s, cloud_args)
      end
    end

    # The outcome of the binding's call the block makes with `cloud` as the
    # binding takes it (nil outside the public cloud, else [identifiers,
    # wait_for_peers]), timed: with the engines, asked again with the
    # instance identifiers `identify` finds when the first call asks for them.
    def identified(cloud, identify)
      configured!
      ask = lambda do |identifiers|
        Runtime.measure { yield(cloud && [identifiers, cloud.fetch(:wait_for_peers, false)]) }
      end
      result = ask.call(nil)
      result = ask.call(identify.call(result[1])) if result.first == "identify"
      outcome(result)
    end

    # Who calls, as the binding takes it: the basic credentials (password nil
    # without a colon), the System-Token header (nil when absent), the
    # User-Agent, and whether RMT's system tokens are switched off.
    def caller(login, password, system_token, user_agent, system_tokens)
      [login.to_s, password&.to_s, system_token&.to_s, user_agent&.to_s, !system_tokens]
    end

    # The binding's `method` with `args`, timed, as a Response: how every
    # endpoint past activation and the tree calls into Rust.
    def answered(method, *args)
      configured!
      outcome(Runtime.measure { Native.public_send(method, *args) })
    end

    def configured!
      raise NotConfigured, "RmtRs is not configured: call RmtRs.configure first" unless Native.configured?
    end

    # The binding's answer as a Response (or a Checked), for every endpoint
    # that answers through it.
    def outcome(result)
      case result.first
      when "answer"
        _, status, body, token, created, log, serializer, headers, system_id = result
        headers = headers.to_h
        # RMT sets the header to the system's token, nil when it has none.
        headers["System-Token"] = token.first if token
        Response.new(status: status, body: body, headers: headers, activations_changed: created, log: log,
                     serializer: serializer, system_id: system_id)
      when "verify"
        Verify.new(answer: outcome(result[1]), system: result[2])
      when "checked"
        _, system, product, token, ticket = result
        Checked.new(system: system, product: product, token_header: token, ticket: ticket)
      else
        raise Error, "RmtRs answered #{result.first.inspect} twice"
      end
    end

    def wanted(params)
      params.to_h.each_with_object({}) do |(key, value), out|
        out[key.to_s] = value.respond_to?(:to_unsafe_h) ? value.to_unsafe_h : value if PARAMS.include?(key.to_s)
      end
    end
  end
end
