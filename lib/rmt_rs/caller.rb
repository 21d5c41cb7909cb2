# frozen_string_literal: true

module RmtRs
  # Who calls an endpoint that authenticates a system, and from which app:
  # what every such call (Products, Systems, Services) takes besides the
  # endpoint's own input. The binding reads it by member name.
  #
  # login, password - the HTTP basic credentials (password nil when the
  #                   credentials had no colon)
  # system_token    - the System-Token header (nil when absent, "" when empty)
  # user_agent      - the User-Agent header
  # system_tokens   - false when RMT's connect_api.disable_system_tokens is set
  # cloud           - nil outside the public cloud; with RMT's public-cloud
  #                   engines {wait_for_peers: Boolean} (scc_proxy looks for
  #                   unknown credentials again while registration sharing has
  #                   peers)
  # identify        - with `cloud`: called with [[system_id, instance_data]]
  #                   of the systems with the credentials (oldest first),
  #                   returns [[system_id, instance_identifier]] of those the
  #                   instance verification provider identifies
  #                   (RmtRs::Pubcloud.identify does)
  Caller = Struct.new(:login, :password, :system_token, :user_agent, :system_tokens, :cloud, :identify,
                      keyword_init: true) do
    def initialize(login:, password: nil, system_token: nil, user_agent: nil, system_tokens: true, cloud: nil,
                   identify: nil)
      # Text as the binding reads it (anything else as its to_s), so that what
      # a controller hands over cannot fail there.
      super(login: login.to_s, password: password&.to_s, system_token: system_token&.to_s,
            user_agent: user_agent&.to_s, system_tokens: system_tokens ? true : false, cloud: cloud,
            identify: identify)
      freeze
    end

    # Never the password, nor the token, in a log or an exception's message.
    def inspect
      "#<RmtRs::Caller login=#{login.inspect}#{' (public cloud)' if cloud}>"
    end
    alias_method :to_s, :inspect
  end
end
