# frozen_string_literal: true

module RmtRs
  # Product activation and the product tree of RMT's connect API, done in Rust.
  module Products
    # The request parameters RMT's products controller reads.
    PARAMS = %w[identifier version arch token payload].freeze

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
    #
    # Returns a Response whose body is RMT's JSON as a String; a refusal is a
    # Response too (401/422 with RMT's error JSON), as RMT renders it.
    def activate(login:, password:, params:, base_url:, system_token: nil, user_agent: nil, system_tokens: true)
      call("activate", login, password, params, base_url, system_token, user_agent, system_tokens)
    end

    # What RMT's `GET /connect/systems/products` does: the same authentication
    # and checks, then the product with its extension tree.
    def show(login:, password:, params:, base_url:, system_token: nil, user_agent: nil, system_tokens: true)
      call("show", login, password, params, base_url, system_token, user_agent, system_tokens)
    end

    def call(action, login, password, params, base_url, system_token, user_agent, system_tokens) # rubocop:disable Metrics/ParameterLists
      raise NotConfigured, "RmtRs is not configured: call RmtRs.configure first" unless Native.configured?

      status, body, token = Native.product_request(action, login.to_s, password&.to_s, system_token&.to_s,
                                                   user_agent&.to_s, !system_tokens, wanted(params), base_url.to_s)
      Response.new(status: status, body: body, headers: token ? { "System-Token" => token } : {})
    end

    def wanted(params)
      params.to_h.each_with_object({}) do |(key, value), out|
        out[key.to_s] = value.respond_to?(:to_unsafe_h) ? value.to_unsafe_h : value if PARAMS.include?(key.to_s)
      end
    end
  end
end
