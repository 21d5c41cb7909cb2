# frozen_string_literal: true

require_relative "rendering"
require_relative "answered"

module RmtRs
  # Prepended to the root of each controller family RmtRs knows (see
  # Ownership). For an action RmtRs owns, the controller's callbacks are not run
  # (RmtRs does their work) and RmtRs answers; everything else, and every action
  # while the flag is off, runs as RMT wrote it. Rails' instrumentation (RMT's
  # request log lines), parameter wrapping and rescue_from stay around it.
  #
  # With RMT's public-cloud engines (flavor :pubcloud) RmtRs answers as the
  # engines make RMT answer, and leaves a BYOS announce (which goes to SCC) to
  # RMT's path.
  module ControllerHook
    include Rendering
    include Answered

    # What a handler returns to leave this request to RMT's own path.
    FALL_BACK = Object.new.freeze

    def run_callbacks(kind, &block)
      verdict = kind == :process_action && RmtRs::Railtie.enabled? && RmtRs::Ownership.handler(self.class, action_name)
      return super unless verdict

      handler, flavor = verdict
      # Marked before the handler runs, so that a request it takes and that
      # ends in an exception (Rack::Timeout's) is still RmtRs's.
      @rmt_rs_answered = true
      answered = RmtRs::Arrival.during(request.env) { send(handler, flavor) }
      return answered unless answered.equal?(FALL_BACK)

      @rmt_rs_answered = false
      super
    end

    private

    def rmt_rs_announce(flavor)
      payg = nil
      if flavor == :pubcloud
        # scc_proxy sends an announce with a registration code to SCC (BYOS).
        return FALL_BACK unless has_no_regcode?(request.headers.fetch("HTTP_AUTHORIZATION", nil))

        payg = rmt_rs_payg_instance
        return if performed?
      end
      hwinfo = params.permit(hwinfo: {})[:hwinfo]
      profiles = params.key?(:system_profiles) ? params.permit(system_profiles: {})[:system_profiles] : nil
      render_rmt_rs do
        RmtRs::Registration.announce_system(hostname: params[:hostname], hwinfo: hwinfo&.to_h,
                                            system_profiles: profiles&.to_h, payg: payg).tap do |answer|
          logger.info("System '#{params[:hostname]}' announced")
          RmtRs::Pubcloud.share(RmtRs::Pubcloud.system_record(answer.body)) if payg
        end
      end
    end

    # scc_proxy's PAYG announce: the provider's instance identifier, or its
    # refusal rendered as scc_proxy renders it.
    def rmt_rs_payg_instance
      { identifier: RmtRs::Pubcloud.instance_identifier(params["instance_data"]),
        instance_data: params.fetch(:instance_data, nil) }
    rescue ::InstanceVerification::Exception => e
      logger.error("Could not register system: #{e.message}")
      render json: { type: "error", error: e.message }, status: :unprocessable_entity, location: nil
      nil
    end

    def rmt_rs_activate(flavor)
      rmt_rs_named_product? ? rmt_rs_products(:activate, flavor) : FALL_BACK
    end

    def rmt_rs_show(flavor)
      rmt_rs_named_product? ? rmt_rs_products(:show, flavor) : FALL_BACK
    end

    def rmt_rs_deactivate(flavor)
      rmt_rs_named_product? ? rmt_rs_products(:deactivate, flavor) : FALL_BACK
    end

    def rmt_rs_upgrade(flavor)
      rmt_rs_named_product? ? rmt_rs_products(:upgrade, flavor) : FALL_BACK
    end

    # Whether the product is named by text (or not at all): RMT's `find_by`
    # reads a list as `IN (…)` and fails on a number, list or object for the
    # version, so its own path answers those.
    def rmt_rs_named_product?
      RmtRs::Products.named_by_text?(params.to_unsafe_h)
    end

    def rmt_rs_migrations(flavor)
      rmt_rs_migration_paths(:migrations, flavor)
    end

    def rmt_rs_offline_migrations(flavor)
      rmt_rs_migration_paths(:offline_migrations, flavor)
    end

    def rmt_rs_migration_paths(action, flavor)
      offline = action == :offline_migrations
      return FALL_BACK unless RmtRs::Products.migration_request?(params.to_unsafe_h, offline: offline)

      rmt_rs_products(action, flavor)
    end

    def rmt_rs_subscription_products(flavor)
      sent = params.to_unsafe_h
      return FALL_BACK unless RmtRs::Products.named_by_text?(sent)

      regcode = rmt_rs_regcode
      return unless regcode

      render_rmt_rs do
        RmtRs::Products.subscription_products(regcode: regcode, params: sent, base_url: request.base_url,
                                              cloud: flavor == :pubcloud)
      end
    end

    def rmt_rs_installer_repositories(flavor)
      sent = params.to_unsafe_h
      # RMT's require_params reads a legacy payload; its path answers that.
      return FALL_BACK if sent.key?("payload") || !RmtRs::Products.named_by_text?(sent)

      render_rmt_rs do
        RmtRs::Products.installer_repositories(params: sent, base_url: request.base_url, cloud: flavor == :pubcloud)
      end
    end

    # The registration code of an `Authorization: Token token=…` header, or
    # nil once Rails' challenge for a missing one is rendered (as RMT's
    # authenticate_with_token renders it).
    def rmt_rs_regcode
      token, = ActionController::HttpAuthentication::Token.token_and_options(request)
      return token if token.present?

      ActiveSupport::Notifications.instrument("halted_callback.action_controller", filter: :authenticate_with_token)
      request_http_token_authentication
      nil
    end

    def rmt_rs_synchronize(flavor)
      listed = params.to_unsafe_h["products"]
      # RMT's `params.require(:products)` and its lookups answer anything but
      # a list of products named by text (400s, 500s): RMT's own path does.
      return FALL_BACK unless listed.is_a?(Array) && listed.any? && listed.all? { |p| RmtRs::Products.named_by_text?(p) }

      # RMT renders these URLs under scheme and host only (no port).
      rmt_rs_products(:synchronize, flavor, base_url: URI::HTTP.build(scheme: request.scheme, host: request.host).to_s)
    end

    # Who calls, for every handler that authenticates a system (an
    # RmtRs::Caller): the basic credentials, the System-Token header (nil
    # when absent), the User-Agent, RMT's system tokens switch and, with the
    # engines (flavor :pubcloud), theirs; or nil once RMT's challenge for
    # missing credentials is rendered. The block, when given, names the
    # callback RMT authenticates in (Rails' log names it when it halts;
    # default authenticate_system).
    def rmt_rs_caller(flavor, instance_cache: false)
      basic = ActionController::HttpAuthentication::Basic
      unless basic.has_basic_credentials?(request)
        halted_by = block_given? ? yield : :authenticate_system
        ActiveSupport::Notifications.instrument("halted_callback.action_controller", filter: halted_by)
        basic.authentication_request(self, "RMT API", nil)
        return nil
      end

      login, password = basic.user_name_and_password(request)
      token = request.headers.key?("System-Token") ? request.headers["System-Token"].to_s : nil
      # With the engines, the instance identifiers scc_proxy's authentication
      # asks the provider for.
      identify = ->(wanted) { RmtRs::Pubcloud.identify(wanted, login, logger) }
      RmtRs::Caller.new(login: login, password: password, system_token: token, user_agent: request.user_agent,
                        system_tokens: rmt_rs_system_tokens?, cloud: rmt_rs_cloud(flavor, instance_cache),
                        identify: identify)
    end

    def rmt_rs_update(flavor)
      return unless (caller = rmt_rs_caller(flavor))

      sent = params.to_unsafe_h
      profiles = if sent.key?("system_profiles")
                   params.permit(system_profiles: {})[:system_profiles]&.to_h || {}
                 else
                   RmtRs::Systems::NOT_SENT
                 end
      answer = rmt_rs_answer do
        RmtRs::Systems.update(hwinfo: params.permit(hwinfo: {})[:hwinfo]&.to_h, hostname: sent["hostname"],
                              system_profiles: profiles, online_at: sent["online_at"], caller: caller)
      end
      render_answer(answer)
      return unless flavor == :pubcloud && answer.respond_to?(:system_id) && RmtRs::Pubcloud.data_export?

      @system = ::System.find_by(id: answer.system_id)
      rmt_rs_data_export
    end

    # data_export's after_action of this action on its own conditions (the
    # engine reads @system, the system RmtRs answered for).
    def rmt_rs_data_export
      RmtRs::Pubcloud.after_action(self, :export_rmt_data) if @system
    end

    # A Seam::Verify's headers and log set, and the engines' before_actions
    # `checks` run on RMT's record of its system; true once they passed.
    def rmt_rs_verified?(verify, checks)
      rmt_rs_verifying(verify)
      rmt_rs_engine_checks_pass?(checks, cached: verify.cached)
    end

    # What authentication set (headers, log) and RMT's record of the system
    # (@system), before the engines look at it.
    def rmt_rs_verifying(verify)
      logged_with_headers(verify.answer)
      @system = ::System.instantiate(verify.system)
    end

    # The Caller's `cloud` for the app's flavor: nil for RMT, the engines'
    # settings for RMT with its public-cloud engines, and with
    # `instance_cache` where zypper_auth's cache is (RmtRs::InstanceCache).
    def rmt_rs_cloud(flavor, instance_cache = false)
      return unless flavor == :pubcloud

      { wait_for_peers: RmtRs::Pubcloud.wait_for_peers?,
        instance_cache: instance_cache ? RmtRs::InstanceCache.probe(request) : nil }
    end

    # With the engines, the registry's refresh of its cache verifies the
    # instance (in Ruby) before the list goes out when the client sends its data.
    def rmt_rs_activations(flavor)
      rmt_rs_products(:activations, flavor, api: RmtRs::Systems, checks: RmtRs::Pubcloud::ACTIVATIONS_CHECKS)
    end

    def rmt_rs_deregister(flavor)
      return unless (caller = rmt_rs_caller(flavor))

      outcome = rmt_rs_answer { RmtRs::Systems.deregister(caller: caller) }
      return render_answer(outcome) unless outcome.is_a?(RmtRs::Seam::Verify)

      # scc_proxy's and the registry's before_actions on the system, then the
      # destroy, and registration sharing's after_commit for the system.
      return unless rmt_rs_verified?(outcome, RmtRs::Pubcloud::DEREGISTRATION_CHECKS)

      render_rmt_rs do
        # Rails runs the after_commit only for a destroy that deleted the row.
        RmtRs::Systems.destroy(@system.id).tap { |answer| RmtRs::Pubcloud.share(@system) if answer.system_id }
      end
    end

    # Zypper's service refresh. RMT authenticates zypper only; another
    # client's request carries no credentials RMT looks at. With the engines
    # strict_authentication authenticates every request first.
    def rmt_rs_service(flavor)
      return FALL_BACK if RmtRs::Services.redirects?

      caller = nil
      if flavor == :pubcloud
        return unless (caller = rmt_rs_caller(flavor, instance_cache: true))
      elsif zypper_request?
        # RMT authenticates zypper in a before_action block, the only one
        # there (Ownership checked the callbacks).
        caller = rmt_rs_caller(flavor) do
          self.class._process_action_callbacks.find { |c| c.kind == :before && c.raw_filter.is_a?(Proc) }&.raw_filter
        end
        return unless caller
      end
      render_index(rmt_rs_answer do
        RmtRs::Services.repoindex(id: params[:id], base_url: request.base_url, caller: caller)
      end)
    end

    # nginx's check of a download (strict_authentication's, with the engines).
    def rmt_rs_auth_check(flavor)
      version = request.headers["X-Instance-Version"]
      # RMT fails (500) on a version of dots only; its own path answers that.
      return FALL_BACK if version&.split(".")&.empty?

      return unless (caller = rmt_rs_caller(flavor, instance_cache: true))

      uri = request.headers["X-Original-URI"]
      outcome = rmt_rs_answer do
        RmtRs::Services.auth_check(caller: caller, uri: uri, instance_version: version,
                                   instance_identifier: request.headers["X-Instance-Identifier"])
      end
      return render_answer(outcome) unless outcome.is_a?(RmtRs::Seam::Verify)

      rmt_rs_verifying(outcome)
      allowed = rmt_rs_path_allowed?(outcome.answer.status == 200, outcome.cached)
      logger.info("Authentication subrequest for #{uri} -- #{allowed ? 'allowed' : 'denied'}")
      # The request's formats, as Rails sets them before an action (RmtRs
      # answers in the callbacks' place): `head` takes its content type from them.
      self.formats = request.formats.map(&:ref).compact
      head(allowed ? :ok : :forbidden)
    end

    # zypper_auth's `path_allowed?` on strict_authentication's verdict
    # (`found`, RmtRs's): the instance verified for any but a BYOS system
    # (from its cache when RmtRs found the entry, `cached`). A BYOS or hybrid
    # system's SCC checks are the engines' own, run whole.
    def rmt_rs_path_allowed?(found, cached)
      return path_allowed?(request.headers) if @system.byos? || @system.hybrid?

      found && RmtRs::InstanceCache.verify(request, logger, @system, cached)
    end

    # SMT's legacy single service.
    def rmt_rs_legacy_service(flavor)
      return FALL_BACK if RmtRs::Services.redirects?

      return unless (caller = rmt_rs_caller(flavor, instance_cache: true))

      render_index(rmt_rs_answer { RmtRs::Services.legacy_repoindex(caller: caller, base_url: request.base_url) })
    end

    # A repository index as RMT renders it; with the engines, once
    # zypper_auth's instance verification passed on the system RmtRs found
    # (the one whose activation gives access, for a service).
    def render_index(outcome)
      return render_xml_answer(outcome) unless outcome.is_a?(RmtRs::Seam::Verify)
      return unless rmt_rs_verified?(outcome, RmtRs::Pubcloud::SERVICE_CHECKS)

      render xml: outcome.answer.body, status: outcome.answer.status
    end

    # An XML index or not-found as RMT renders it (`render xml:`, nothing
    # serialized); a refusal or an error as RMT renders those (JSON).
    def render_xml_answer(answer)
      return render_answer(answer) unless [200, 404].include?(answer.status)

      logged_with_headers(answer)
      render xml: answer.body, status: answer.status
    end

    # `checks`: the engines' before_actions to run before an answer to verify
    # goes out (Seam::Verify).
    def rmt_rs_products(action, flavor, base_url: request.base_url, api: RmtRs::Products, checks: [])
      return unless (caller = rmt_rs_caller(flavor))

      outcome = rmt_rs_answer do
        api.public_send(action, caller: caller, params: params.to_unsafe_h, base_url: base_url)
      end
      return rmt_rs_engine_checks(outcome) if outcome.is_a?(RmtRs::Seam::Pending)
      if outcome.is_a?(RmtRs::Seam::Verify)
        return unless rmt_rs_verified?(outcome, checks)

        return render_body(outcome.answer)
      end

      render_answer(outcome)
      # registration_sharing's callback on the activations RmtRs removed.
      changed = outcome.respond_to?(:activations_changed) && outcome.activations_changed
      return unless changed && flavor == :pubcloud

      RmtRs::Pubcloud.share(RmtRs::Pubcloud.system_record("id" => nil, "login" => caller.login,
                                                          "password" => caller.password))
    end

    # The engines' checks of an activation (deactivation, upgrade) on RMT's
    # records of what RmtRs checked, then RmtRs's write. A check that renders
    # or raises ends the request as in RMT (rescue_from renders what it raises).
    def rmt_rs_engine_checks(pending)
      logger.info(pending.log) if pending.log
      pending.headers.each { |name, value| response.headers[name] = value }
      @system = ::System.instantiate(pending.system)
      @product = ::Product.instantiate(pending.product)
      return unless rmt_rs_engine_checks_pass?(RmtRs::Pubcloud::CHECKS.fetch(pending.finishes))

      render_rmt_rs do
        RmtRs::Products.finish(pending, base_url: request.base_url).tap do |answer|
          # registration_sharing's after_commit on the activation written or destroyed.
          RmtRs::Pubcloud.share(@system) if answer.activations_changed
        end
      end
      rmt_rs_data_export
    end

    # Runs the engines' before_actions `names` as RMT would have run them
    # (those whose conditions hold); false once one rendered (rescue_from
    # renders what one raises).
    def rmt_rs_engine_checks_pass?(names, cached: false)
      RmtRs::Ownership.engine_checks(self.class, names).each do |callback|
        next unless RmtRs::Pubcloud.applies?(callback, self)
        # zypper_auth's verify_instance (its refusal when RMT's verification
        # fails) on the cache hit RmtRs found: RMT's hit branch only.
        next if cached && callback.filter == :verify_instance && RmtRs::InstanceCache.hit?(request, @system)

        send(callback.filter)
        next unless performed?

        # Rails' own hook for a before_action that rendered (its log line).
        halted_callback_hook(callback.filter, callback.name)
        return false
      end
      true
    end

    # RMT's own switch (`connect_api.disable_system_tokens`), through RMT's own
    # predicate where the app has one.
    def rmt_rs_system_tokens?
      respond_to?(:system_tokens_enabled?, true) ? system_tokens_enabled? : true
    end
  end
end
