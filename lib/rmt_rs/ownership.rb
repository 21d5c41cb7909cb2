# frozen_string_literal: true

module RmtRs
  # Which of RMT's actions RmtRs answers, and the proof that it may.
  #
  # RmtRs owns an action whole: none of the controller's callbacks run for it,
  # because RmtRs does what they do. That is only right while the callbacks are
  # the ones it was written from. RmtRs knows two apps: RMT 2.28 (flavor :rmt)
  # and RMT 2.28 with the public-cloud engines of rmt-server-pubcloud
  # (:pubcloud). An action is owned in a flavor only when, in the running app,
  # (1) the action is that flavor's method (RMT's, or scc_proxy's announce),
  # (2) the controller's callbacks are exactly the flavor's (same kind, name and
  # defining file), (3) the serializers and helpers shaping the answer are the
  # flavor's (RMT's URLs, or zypper_auth's), and (4) the models RmtRs writes
  # have the flavor's callbacks and no others. Anything else (a site's own
  # code, an engine RmtRs does not know, part of the engines, a newer RMT that
  # renamed a callback) leaves the action on RMT's Ruby path, and the boot log
  # says why. This holds for V3, V4 and any subclass RMT or an engine defines.
  module Ownership
    # `answers`: [class, method, file] of what shapes this action's answer,
    # beside the flavor's ANSWER_METHODS.
    Action = Struct.new(:controller, :action, :handler, :flavor, :source, :callbacks, :optional, :models, :answers,
                        keyword_init: true)

    CONNECT = "app/controllers/api/connect"
    PRODUCTS_SOURCE = "#{CONNECT}/v3/systems/products_controller.rb".freeze
    V4_PRODUCTS_SOURCE = "#{CONNECT}/v4/systems/products_controller.rb".freeze
    ANNOUNCE_SOURCE = "#{CONNECT}/v3/subscriptions/systems_controller.rb".freeze
    SYSTEMS_SOURCE = "#{CONNECT}/v3/systems/systems_controller.rb".freeze
    SERVICES_SOURCE = "app/controllers/services_controller.rb"
    ACTIVATIONS_SOURCE = "#{CONNECT}/v3/systems/activations_controller.rb".freeze
    AUTH_CHECK_SOURCE = "engines/strict_authentication/app/controllers/strict_authentication/authentication_controller.rb"
    # The files of RMT's public-cloud engines (rmt-server-pubcloud) that change
    # the registration path.
    SCC_PROXY = "engines/scc_proxy/lib/scc_proxy/engine.rb"
    INSTANCE_VERIFICATION = "engines/instance_verification/lib/instance_verification/engine.rb"
    ZYPPER_AUTH = "engines/zypper_auth/lib/zypper_auth/engine.rb"
    DATA_EXPORT = "engines/data_export/lib/data_export/engine.rb"
    REGISTRATION_SHARING = "engines/registration_sharing/lib/registration_sharing/engine.rb"
    REGISTRY = "engines/registry/lib/registry/engine.rb"
    STRICT_AUTHENTICATION = "engines/strict_authentication/lib/strict_authentication/engine.rb"

    # [kind, name, file defining the method] of every callback of RMT 2.28's
    # products controllers (V4 declares refresh_system_token again, same method).
    PRODUCTS_CALLBACKS = [
      [:before, :authenticate_system, "app/controllers/application_controller.rb"],
      [:before, :require_product, PRODUCTS_SOURCE],
      [:before, :check_product_service_and_repositories, PRODUCTS_SOURCE],
      [:before, :load_subscription, PRODUCTS_SOURCE],
      [:before, :check_base_product_dependencies, PRODUCTS_SOURCE],
      [:after, :refresh_system_token, "#{CONNECT}/base_controller.rb"]
    ].freeze
    # [kind, name, file] of the callbacks of RMT 2.28's systems controllers
    # (update and deregistration).
    SYSTEMS_CALLBACKS = [
      [:before, :authenticate_system, "app/controllers/application_controller.rb"],
      [:after, :refresh_system_token, "#{CONNECT}/base_controller.rb"]
    ].freeze
    # The services controller's: RMT's authentication of the legacy service,
    # and the block that authenticates zypper's refresh.
    SERVICES_CALLBACKS = [
      [:before, :authenticate_system, "app/controllers/application_controller.rb"],
      [:before, :proc, SERVICES_SOURCE]
    ].freeze
    # The services controller's with the engines (see its actions below).
    PUBCLOUD_SERVICES_CALLBACKS = [
      [:before, :authenticate_system, SCC_PROXY],
      [:before, :verify_service_access, STRICT_AUTHENTICATION],
      [:before, :proc, SERVICES_SOURCE],
      [:before, :verify_instance, ZYPPER_AUTH]
    ].freeze
    # With the engines: scc_proxy's authentication; the engines' activation
    # checks, which RmtRs runs between its checks and its write
    # (RmtRs::Pubcloud::ACTIVATION_CHECKS); data export's after_action, which
    # RmtRs runs after its answer on the engine's condition; and callbacks of
    # other actions.
    PUBCLOUD_PRODUCTS_CALLBACKS = ([[:before, :authenticate_system, SCC_PROXY]] + PRODUCTS_CALLBACKS.drop(1) + [
      [:before, :verify_product_activation, INSTANCE_VERIFICATION],
      [:before, :scc_activate_product, SCC_PROXY],
      [:after, :export_rmt_data, DATA_EXPORT],
      [:before, :verify_base_product_upgrade, INSTANCE_VERIFICATION],
      [:before, :scc_upgrade, SCC_PROXY]
    ]).freeze
    # The systems controllers' with the engines: scc_proxy's authentication,
    # data export after an update, and deregistration's callbacks.
    PUBCLOUD_SYSTEMS_CALLBACKS = ([[:before, :authenticate_system, SCC_PROXY]] + SYSTEMS_CALLBACKS.drop(1) + [
      [:after, :export_rmt_data, DATA_EXPORT],
      [:before, :scc_deregistration, SCC_PROXY],
      [:before, :remove_auth_cache, REGISTRY]
    ]).freeze
    # V4 only: before `destroy`.
    PUBCLOUD_PRODUCTS_OPTIONAL = [[:before, :scc_deactivate_product, SCC_PROXY]].freeze

    # [chain, kind, name, file] of the app-defined callbacks of the models RmtRs writes.
    # System's blocks: `before_update` clears the SCC sync time (RmtRs does
    # the same on every update it makes), `after_destroy` records a
    # deregistration (so does RmtRs's deregistration).
    MODEL_CALLBACKS = {
      "System" => [[:initialize, :after, :init, "app/models/system.rb"],
                   [:update, :before, :proc, "app/models/system.rb"],
                   [:destroy, :after, :proc, "app/models/system.rb"]],
      "Profile" => [],
      "SystemProfile" => [[:commit, :after, :destroy_orphaned_profile, "app/models/system_profile.rb"]],
      # Each clears the system's SCC sync time, as RmtRs's activation does.
      "Activation" => %i[create update destroy].map { |chain| [chain, :after, :proc, "app/models/activation.rb"] },
      "SystemUptime" => [],
      "DeregisteredSystem" => []
    }.freeze
    # registration_sharing's after_commit on create and destroy, which RmtRs
    # runs after its own commits (RmtRs::Pubcloud.share).
    SHARING = [:commit, :after, :share_registration, REGISTRATION_SHARING].freeze
    PUBCLOUD_MODEL_CALLBACKS = MODEL_CALLBACKS.merge(
      "System" => MODEL_CALLBACKS["System"] + [SHARING],
      "Activation" => MODEL_CALLBACKS["Activation"] + [SHARING]
    ).freeze

    # [class, instance method, file defining it] of what shapes the answers
    # RmtRs renders itself: RMT's, or zypper_auth's susecloud URLs.
    ANSWER_METHODS = {
      rmt: [
        ["V3::ServiceSerializer", :url, "app/serializers/v3/service_serializer.rb"],
        ["V3::RepositorySerializer", :url, "app/serializers/v3/repository_serializer.rb"],
        ["RMT::Misc.singleton_class", :make_repo_url, "lib/rmt/misc.rb"],
        ["V3::ProductSerializer", :free, "app/serializers/v3/product_serializer.rb"],
        ["Api::Connect::V3::Systems::ProductsController", :render_service, PRODUCTS_SOURCE]
      ],
      pubcloud: [
        ["V3::ServiceSerializer", :url, ZYPPER_AUTH],
        ["V3::RepositorySerializer", :url, "app/serializers/v3/repository_serializer.rb"],
        ["RMT::Misc.singleton_class", :make_repo_url, ZYPPER_AUTH],
        ["V3::ProductSerializer", :free, "app/serializers/v3/product_serializer.rb"],
        ["Api::Connect::V3::Systems::ProductsController", :render_service, ZYPPER_AUTH]
      ]
    }.freeze

    ANNOUNCE = "Api::Connect::V3::Subscriptions::SystemsController"
    PRODUCTS = "Api::Connect::V3::Systems::ProductsController"
    V4_PRODUCTS = "Api::Connect::V4::Systems::ProductsController"
    SYSTEMS = "Api::Connect::V3::Systems::SystemsController"
    SERVICES = "ServicesController"
    ACTIVATIONS = "Api::Connect::V3::Systems::ActivationsController"
    AUTH_CHECK = "StrictAuthentication::AuthenticationController"
    SUBSCRIPTION_PRODUCTS = "Api::Connect::V4::Subscriptions::ProductsController"
    INSTALLER = "Api::Connect::V4::Repositories::InstallerController"
    MIGRATION_ENGINE = "app/models/migration_engine.rb"
    MIGRATION_ANSWERS = [
      *%i[generate online_migrations offline_migrations migration_targets add_migration_extras add_python2_module
          sort_migrations sort_migration].map { |method| ["MigrationEngine", method, MIGRATION_ENGINE] },
      *%i[available_for? mirror? friendly_name].map { |method| ["Product", method, "app/models/product.rb"] },
      ["Product.singleton_class", :modules_for_migration, "app/models/product.rb"],
      ["V3::UpgradePathItemSerializer", :available, "app/serializers/v3/upgrade_path_item_serializer.rb"],
      *%i[migration_paths_as_json installed_products product_from_hash].map { |m| [PRODUCTS, m, PRODUCTS_SOURCE] }
    ].freeze

    ACTIONS = [
      Action.new(controller: ANNOUNCE, action: "announce_system", handler: :rmt_rs_announce, flavor: :rmt,
                 source: ANNOUNCE_SOURCE, callbacks: [], models: %w[System Profile SystemProfile]),
      Action.new(controller: ANNOUNCE, action: "announce_system", handler: :rmt_rs_announce, flavor: :pubcloud,
                 source: SCC_PROXY, callbacks: [[:after, :save_instance_data, INSTANCE_VERIFICATION]],
                 models: %w[System Profile SystemProfile]),
      Action.new(controller: PRODUCTS, action: "activate", handler: :rmt_rs_activate, flavor: :rmt,
                 source: PRODUCTS_SOURCE, callbacks: PRODUCTS_CALLBACKS, models: %w[System Activation]),
      Action.new(controller: PRODUCTS, action: "activate", handler: :rmt_rs_activate, flavor: :pubcloud,
                 source: PRODUCTS_SOURCE, callbacks: PUBCLOUD_PRODUCTS_CALLBACKS,
                 optional: PUBCLOUD_PRODUCTS_OPTIONAL, models: %w[System Activation]),
      Action.new(controller: PRODUCTS, action: "show", handler: :rmt_rs_show, flavor: :rmt,
                 source: PRODUCTS_SOURCE, callbacks: PRODUCTS_CALLBACKS, models: %w[System Activation]),
      Action.new(controller: PRODUCTS, action: "show", handler: :rmt_rs_show, flavor: :pubcloud,
                 source: PRODUCTS_SOURCE, callbacks: PUBCLOUD_PRODUCTS_CALLBACKS,
                 optional: PUBCLOUD_PRODUCTS_OPTIONAL, models: %w[System Activation]),
      # The upgrade with the engines only: instance_verification's and
      # scc_proxy's upgrade checks run between RmtRs's checks and its write
      # (RmtRs::Pubcloud::UPGRADE_CHECKS), data export's after_action after it.
      # In plain RMT it stays RMT's: RMT's own spec of an upgrade racing a
      # system's change mocks ActiveRecord inside RMT's Ruby path, which only
      # that path can meet (with the engines that spec fails on RMT's path too).
      Action.new(controller: PRODUCTS, action: "upgrade", handler: :rmt_rs_upgrade, flavor: :pubcloud,
                 source: PRODUCTS_SOURCE, callbacks: PUBCLOUD_PRODUCTS_CALLBACKS,
                 optional: PUBCLOUD_PRODUCTS_OPTIONAL, models: %w[System Activation]),
      # Migration paths (read-only): RMT's MigrationEngine and the serializer
      # of a path's products shape the answer.
      *%i[rmt pubcloud].product(%w[migrations offline_migrations]).map do |flavor, action|
        Action.new(controller: PRODUCTS, action: action, handler: :"rmt_rs_#{action}", flavor: flavor,
                   source: PRODUCTS_SOURCE, callbacks: flavor == :rmt ? PRODUCTS_CALLBACKS : PUBCLOUD_PRODUCTS_CALLBACKS,
                   optional: flavor == :rmt ? nil : PUBCLOUD_PRODUCTS_OPTIONAL, models: %w[System],
                   answers: MIGRATION_ANSWERS)
      end,
      # API v4 only: the product listings (read-only) of a registration code
      # and of the installer.
      *%i[rmt pubcloud].flat_map do |flavor|
        [Action.new(controller: SUBSCRIPTION_PRODUCTS, action: "index", handler: :rmt_rs_subscription_products,
                    flavor: flavor, source: "#{CONNECT}/v4/subscriptions/products_controller.rb",
                    callbacks: [[:before, :authenticate_with_token, "#{CONNECT}/base_controller.rb"]], models: [],
                    answers: [[SUBSCRIPTION_PRODUCTS, :product_query_params, "#{CONNECT}/v4/subscriptions/products_controller.rb"]]),
         Action.new(controller: INSTALLER, action: "index", handler: :rmt_rs_installer_repositories, flavor: flavor,
                    source: "#{CONNECT}/v4/repositories/installer_controller.rb", callbacks: [], models: [],
                    answers: [[INSTALLER, :product_params, "#{CONNECT}/v4/repositories/installer_controller.rb"]])]
      end,
      # API v4 only: product deactivation and synchronization.
      Action.new(controller: V4_PRODUCTS, action: "destroy", handler: :rmt_rs_deactivate, flavor: :rmt,
                 source: V4_PRODUCTS_SOURCE, callbacks: PRODUCTS_CALLBACKS, models: %w[System Activation]),
      # With the engines: scc_proxy's authentication (RmtRs's) and its
      # deactivation on SCC, run after RmtRs found the product and before its
      # write (RmtRs::Pubcloud::DEACTIVATION_CHECKS), and registration
      # sharing's callback on the activation removed (run after RmtRs's commit).
      Action.new(controller: V4_PRODUCTS, action: "destroy", handler: :rmt_rs_deactivate, flavor: :pubcloud,
                 source: V4_PRODUCTS_SOURCE, callbacks: PUBCLOUD_PRODUCTS_CALLBACKS + PUBCLOUD_PRODUCTS_OPTIONAL,
                 models: %w[System Activation]),
      Action.new(controller: V4_PRODUCTS, action: "synchronize", handler: :rmt_rs_synchronize, flavor: :rmt,
                 source: V4_PRODUCTS_SOURCE, callbacks: PRODUCTS_CALLBACKS, models: %w[System Activation]),
      # With the engines, synchronization changes only by scc_proxy's
      # authentication (RmtRs's) and registration sharing's callback on the
      # activations it removes (which RmtRs runs after its commit, for the system).
      Action.new(controller: V4_PRODUCTS, action: "synchronize", handler: :rmt_rs_synchronize, flavor: :pubcloud,
                 source: V4_PRODUCTS_SOURCE, callbacks: PUBCLOUD_PRODUCTS_CALLBACKS,
                 optional: PUBCLOUD_PRODUCTS_OPTIONAL, models: %w[System Activation]),
      Action.new(controller: SYSTEMS, action: "update", handler: :rmt_rs_update, flavor: :rmt,
                 source: SYSTEMS_SOURCE, callbacks: SYSTEMS_CALLBACKS,
                 models: %w[System Profile SystemProfile SystemUptime]),
      # With the engines, an update changes by scc_proxy's authentication
      # (RmtRs's) and data export's after_action (run on its conditions after
      # RmtRs's answer).
      Action.new(controller: SYSTEMS, action: "update", handler: :rmt_rs_update, flavor: :pubcloud,
                 source: SYSTEMS_SOURCE, callbacks: PUBCLOUD_SYSTEMS_CALLBACKS,
                 models: %w[System Profile SystemProfile SystemUptime]),
      *%i[rmt pubcloud].map do |flavor|
        # With the engines, deregistration changes by scc_proxy's
        # authentication (RmtRs's), its deregistration of BYOS and hybrid
        # systems from SCC and the registry's cache removal (run on the system
        # RmtRs authenticated before it destroys it:
        # RmtRs::Pubcloud::DEREGISTRATION_CHECKS), and registration sharing's
        # after_commit (run after RmtRs's commit).
        Action.new(controller: SYSTEMS, action: "deregister", handler: :rmt_rs_deregister, flavor: flavor,
                   source: SYSTEMS_SOURCE, callbacks: flavor == :rmt ? SYSTEMS_CALLBACKS : PUBCLOUD_SYSTEMS_CALLBACKS,
                   models: %w[System Profile SystemProfile SystemUptime Activation DeregisteredSystem])
      end,
      Action.new(controller: ACTIVATIONS, action: "index", handler: :rmt_rs_activations, flavor: :rmt,
                 source: ACTIVATIONS_SOURCE,
                 callbacks: [[:before, :authenticate_system, "app/controllers/application_controller.rb"]],
                 models: %w[System],
                 answers: [["V3::ActivationSerializer", :type, "app/serializers/v3/activation_serializer.rb"]]),
      # With the engines: zypper_auth's index (RMT's, for its URLs),
      # scc_proxy's authentication, and registry's cache refresh, which RmtRs
      # runs on its condition (X-Instance-Data) before its answer goes out
      # (RmtRs::Pubcloud::ACTIVATIONS_CHECKS).
      Action.new(controller: ACTIVATIONS, action: "index", handler: :rmt_rs_activations, flavor: :pubcloud,
                 source: ZYPPER_AUTH,
                 callbacks: [[:before, :authenticate_system, SCC_PROXY], [:before, :refresh_auth_cache, REGISTRY]],
                 models: %w[System],
                 answers: [["V3::ActivationSerializer", :type, "app/serializers/v3/activation_serializer.rb"]]),
      # zypper's service refresh and SMT's legacy service, with RMT's
      # repository URLs.
      Action.new(controller: SERVICES, action: "show", handler: :rmt_rs_service, flavor: :rmt,
                 source: SERVICES_SOURCE, callbacks: SERVICES_CALLBACKS, models: %w[System],
                 answers: [["ServicesController", :make_repo_url, SERVICES_SOURCE]]),
      # With the engines: strict_authentication's authentication (scc_proxy's,
      # for every client and both actions) and service access check (show
      # only), and zypper_auth's instance verification, which RmtRs runs on the
      # system it found before its answer goes out
      # (RmtRs::Pubcloud::SERVICE_CHECKS); zypper_auth's URLs.
      Action.new(controller: SERVICES, action: "show", handler: :rmt_rs_service, flavor: :pubcloud,
                 source: SERVICES_SOURCE, callbacks: PUBCLOUD_SERVICES_CALLBACKS, models: %w[System],
                 answers: [["ServicesController", :make_repo_url, SERVICES_SOURCE]]),
      # nginx's check of every download with the engines (strict_authentication):
      # scc_proxy's authentication and strict_authentication's path checks
      # (RmtRs's), zypper_auth's instance verification around them, and a
      # BYOS or hybrid system's SCC checks (the engines' own methods, run in Ruby).
      Action.new(controller: AUTH_CHECK, action: "check", handler: :rmt_rs_auth_check, flavor: :pubcloud,
                 source: AUTH_CHECK_SOURCE, callbacks: [[:before, :authenticate_system, SCC_PROXY]], models: %w[System],
                 answers: [[AUTH_CHECK, :path_allowed?, ZYPPER_AUTH],
                           *%i[original_path_allowed? all_allowed_paths].map { |m| [AUTH_CHECK, m, AUTH_CHECK_SOURCE] }]),
      *%i[rmt pubcloud].map do |flavor|
        Action.new(controller: SERVICES, action: "legacy_service", handler: :rmt_rs_legacy_service, flavor: flavor,
                   source: SERVICES_SOURCE,
                   callbacks: flavor == :rmt ? SERVICES_CALLBACKS : PUBCLOUD_SERVICES_CALLBACKS, models: %w[System],
                   answers: [["ServicesController", :make_repo_url, SERVICES_SOURCE],
                             ["RMT::Misc.singleton_class", :make_smt_service_name, "lib/rmt/misc.rb"]])
      end
    ].freeze

    # Why an action RmtRs answers only with the engines stays RMT's in plain RMT.
    ONLY_WITH_ENGINES = "RmtRs answers it with RMT's public-cloud engines only"

    @verdicts = {}
    @lock = Mutex.new

    class << self
      # [controller method that answers `action` of `controller` with RmtRs,
      # flavor (:rmt, or :pubcloud for RMT with its public-cloud engines)], or nil
      # when RMT's own action must answer. Decided once per class and action (a
      # request only looks the decision up), and only once the app is
      # initialized: engines add their callbacks in their after_initialize.
      def handler(controller, action)
        once([controller, action]) { decide(controller, action) }
      end

      # The engines' checks `names` of `controller`, in its callback order
      # (RmtRs::Pubcloud.checks), found once per class and list.
      def engine_checks(controller, names)
        once([controller, names]) { RmtRs::Pubcloud.checks(controller, names) }
      end

      # Every known action of the loaded controllers (and their subclasses), with
      # the reason it stays on RMT's path, or nil: for the boot log and specs.
      def report
        ACTIONS.group_by { |entry| [entry.controller, entry.action] }.flat_map do |(name, action), entries|
          base = name.safe_constantize
          next [] unless base

          ([base] + base.descendants).map do |controller|
            reasons = entries.map { |entry| check(controller, entry) }
            reason = reasons.all? ? reasons[entries.index { |e| e.flavor == expected_flavor } || 0] : nil
            reason = ONLY_WITH_ENGINES if reason && entries.none? { |e| e.flavor == expected_flavor }
            [controller, action, reason]
          end
        end
      end

      # What the loaded app looks like it is: RMT, or RMT with its engines.
      def expected_flavor
        defined?(::SccProxy::Engine) ? :pubcloud : :rmt
      end

      # The classes to hook: every known family's root.
      def controllers
        ACTIONS.map { |entry| entry.controller.safe_constantize }.compact.uniq
      end

      # Code may have been reloaded (development): decide again.
      def reset!
        @lock.synchronize { @verdicts = {} }
      end

      private

      # The block's answer for `key`, kept once the app is initialized (the
      # engines have added their callbacks then).
      def once(key)
        return yield unless ::Rails.application&.initialized?

        @lock.synchronize { @verdicts.fetch(key) { @verdicts[key] = yield } }
      end

      # [handler, flavor] when RmtRs owns the action, else nil.
      def decide(controller, action)
        entry = entries_for(controller, action).find { |candidate| check(controller, candidate).nil? }
        [entry.handler, entry.flavor] if entry
      end

      def entries_for(controller, action)
        ACTIONS.select { |entry| entry.action == action && controller.name && family?(controller, entry) }
      end

      def family?(controller, entry)
        base = entry.controller.safe_constantize
        base && controller <= base
      end

      # nil when RmtRs owns the action, else why not.
      def check(controller, entry)
        source = defined_in(controller.instance_method(entry.action))
        return "its action is defined in #{source}" unless source == entry.source

        callbacks = controller._process_action_callbacks.map do |callback|
          [callback.kind, name_of(callback), callback_source(controller, raw_filter(callback))]
        end
        unknown = callbacks.uniq - entry.callbacks - entry.optional.to_a
        missing = entry.callbacks - callbacks
        return "callbacks RmtRs does not know: #{describe(unknown)}" if unknown.any?
        return "callbacks RmtRs expects are gone: #{describe(missing)}" if missing.any?

        answer_verdict(entry) || model_verdict(entry)
      rescue NameError => e
        "cannot be checked (#{e.message})"
      end

      # nil when the serializers and helpers RmtRs answers for are the ones of
      # the entry's flavor.
      def answer_verdict(entry)
        (ANSWER_METHODS.fetch(entry.flavor) + entry.answers.to_a).each do |owner, name, file|
          found = defined_in(owner_of(owner).instance_method(name))
          return "#{owner}##{name} is defined in #{found}, not #{file}" unless found == file
        end
        return "no instance verification provider is loaded" if entry.flavor == :pubcloud && !provider?

        nil
      end

      def owner_of(name)
        receiver, singleton = name.split(".")
        constant = receiver.constantize
        singleton ? constant.singleton_class : constant
      end

      def provider?
        defined?(::InstanceVerification) && ::InstanceVerification.respond_to?(:provider) &&
          !::InstanceVerification.provider.nil?
      end

      def model_verdict(entry)
        expected = entry.flavor == :pubcloud ? PUBCLOUD_MODEL_CALLBACKS : MODEL_CALLBACKS
        entry.models.each do |name|
          model = name.safe_constantize
          return "model #{name} is missing" unless model

          found = app_callbacks(model)
          unknown = found - expected.fetch(name)
          missing = expected.fetch(name) - found
          return "model #{name} has callbacks RmtRs does not know: #{describe(unknown)}" if unknown.any?
          return "model #{name} lost callbacks RmtRs expects: #{describe(missing)}" if missing.any?
        end
        nil
      end

      # Callbacks the app (or an engine in its tree, as RMT's are) defines; the
      # framework's own (association autosave, dependent:) follow from the app's
      # declarations. Code from a gem outside the app's tree is not seen here.
      def app_callbacks(model)
        model.__callbacks.flat_map do |chain, callbacks|
          callbacks.filter_map do |callback|
            file = callback_source(model, raw_filter(callback))
            next unless file

            [chain, callback.kind, name_of(callback), file]
          end
        end.uniq
      end

      # A callback's method name, or :proc for a block.
      def name_of(callback)
        callback.filter.is_a?(Symbol) ? callback.filter : :proc
      end

      # What the callback runs: for a block, the block itself (its `filter`
      # is only an identifier then).
      def raw_filter(callback)
        callback.respond_to?(:raw_filter) ? callback.raw_filter : callback.filter
      end

      def callback_source(klass, filter)
        location = if filter.is_a?(Symbol) then klass.instance_method(filter).source_location
                   elsif filter.respond_to?(:source_location) then filter.source_location
                   end
        relative(location&.first)
      rescue NameError
        "(undefined)"
      end

      def defined_in(method)
        path = method.source_location&.first
        relative(path) || path || "(native code)"
      end

      # A path relative to the app's root; nil for code outside it (gems).
      def relative(path)
        root = "#{::Rails.root}/"
        path&.start_with?(root) ? path.delete_prefix(root) : nil
      end

      def describe(callbacks)
        callbacks.map { |callback| callback.compact.join(" ") }.join(", ")
      end
    end
  end
end
