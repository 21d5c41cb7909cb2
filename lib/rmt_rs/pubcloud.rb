# frozen_string_literal: true

module RmtRs
  # What RmtRs asks of RMT's public-cloud engines (rmt-server-pubcloud), which
  # only Ruby can answer: the instance verification provider (SUSE's AWS,
  # Azure and GCE providers are plugins of RMT), the engines' own activation
  # checks and their cache files, and registration sharing's notes for the
  # sibling servers. Everything here runs with the GVL held and touches the
  # database only where an engine itself does (a BYOS or hybrid path, a
  # registration code on a PAYG system); RmtRs's reads and writes around it
  # run in Rust.
  module Pubcloud
    # The engines' before_actions of `activate`, run in the controller's
    # callback order between RmtRs's checks and its write.
    ACTIVATION_CHECKS = %i[verify_product_activation scc_activate_product].freeze
    # scc_proxy's before_action of API v4's `destroy` (the product deactivated
    # on SCC for a BYOS or hybrid system), run after the product was found.
    DEACTIVATION_CHECKS = %i[scc_deactivate_product].freeze
    # instance_verification's check of a base product's upgrade and
    # scc_proxy's upgrade on SCC (a BYOS system: the callback's condition),
    # run between RmtRs's checks and its write.
    UPGRADE_CHECKS = %i[verify_base_product_upgrade scc_upgrade].freeze
    # The checks of each action that finishes in two steps (Seam::Pending#finishes).
    CHECKS = { "activation" => ACTIVATION_CHECKS, "deactivation" => DEACTIVATION_CHECKS,
               "upgrade" => UPGRADE_CHECKS }.freeze
    # zypper_auth's before_action of a service refresh, run on the system
    # RmtRs found before its answer goes out.
    SERVICE_CHECKS = %i[verify_instance].freeze
    # scc_proxy's deregistration from SCC (BYOS and hybrid systems) and the
    # registry's cache entry removed, run on the system RmtRs authenticated
    # before it destroys it.
    DEREGISTRATION_CHECKS = %i[scc_deregistration remove_auth_cache].freeze
    # The registry's instance verification of an activations list (with
    # X-Instance-Data only: the callback's own condition), run on the system
    # RmtRs authenticated before its answer goes out.
    ACTIVATIONS_CHECKS = %i[refresh_auth_cache].freeze

    module_function

    # The before_actions of `controller` named in `names` (the *_CHECKS
    # above), in its callback chain's order: Rails' callbacks, whose
    # conditions `applies?` evaluates.
    def checks(controller, names)
      controller._process_action_callbacks.select do |callback|
        callback.kind == :before && names.include?(callback.filter)
      end
    end

    # Whether `callback`'s conditions (`only:`, `if:`, `unless:`) hold for
    # `controller`'s request, as Rails evaluates them around an action.
    def applies?(callback, controller)
      callback.send(:conditions_lambdas).all? { |condition| condition.call(controller, nil) }
    end

    # scc_proxy's instance identifier for `instance_data` (login and token of a
    # PAYG system). Raises InstanceVerification::Exception as the provider does.
    def instance_identifier(instance_data)
      ::InstanceVerification.provider.new(nil, nil, nil, instance_data).instance_identifier
    end

    # For authentication: [[system_id, identifier]] of the first system whose
    # instance identifier the provider finds, trying `wanted` ([[system_id,
    # instance_data]], oldest first) in order as scc_proxy does; the ones it
    # refuses are logged and left out.
    def identify(wanted, login, logger)
      wanted.each do |id, instance_data|
        return [[id, instance_identifier(instance_data)]]
      rescue ::InstanceVerification::Exception => e
        logger.error("Could not find system (login #{login} instance identifier: #{e.message})")
      end
      []
    end

    # Runs `controller`'s after_action `name` of the current action when its
    # conditions (`only:`, `if:`, `unless:`) hold, as Rails would after the
    # action: for the engines' after_actions on what RmtRs answered.
    def after_action(controller, name)
      controller.class._process_action_callbacks.each do |callback|
        controller.send(name) if callback.kind == :after && callback.filter == name && applies?(callback, controller)
      end
    end

    # Whether data_export has a handler to send activations to (RMT ships an
    # example one; SUSE's regions install theirs).
    def data_export?
      defined?(::DataExport) && ::DataExport.respond_to?(:handler) && ::DataExport.handler.present?
    end

    # scc_proxy (from RMT 2.28 on) looks for unknown credentials again while
    # registration sharing has peers (a sibling's registration may not be
    # shared yet).
    def wait_for_peers?
      RmtRs::Ownership::Release.scc_proxy_waits_for_peers? && !!::Settings.dig(:regsharing, :peers)
    rescue StandardError
      false
    end

    # Runs registration sharing's after_commit as ActiveRecord would have after
    # RmtRs's commit: its note names the system, for the system's rows and
    # for its activations' alike.
    def share(system)
      system.share_registration if system.respond_to?(:share_registration)
    end

    # A system as RMT's record, for `share`, from its id, login and password
    # (what sharing and System's after_initialize read).
    def system_record(attributes)
      ::System.instantiate(attributes.slice("id", "login", "password").merge("registered_at" => nil))
    end
  end
end
