# frozen_string_literal: true

module RmtRs
  # What RmtRs owns (see lib/rmt_rs/ownership.rb): for each action, in each
  # flavor, the controller method RmtRs answers it with (a ControllerHook
  # handler), and the callbacks, answer methods and model callbacks the running
  # app must have for RmtRs to own it. Data only; Ownership's checker reads it.
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
    PROVIDER_BASE = "engines/instance_verification/lib/instance_verification/provider_base.rb"

    # The instance verification whose cache hit RmtRs finds for the auth check
    # and a service refresh (RmtRs::InstanceCache): the module whole, and the
    # provider's constructor RMT runs before the lookup.
    INSTANCE_CACHE = [["InstanceVerification.singleton_class", :verify_instance, INSTANCE_VERIFICATION],
                      ["InstanceVerification::ProviderBase", :initialize, PROVIDER_BASE]].freeze
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
                 answers: [["ServicesController", :make_repo_url, SERVICES_SOURCE], *INSTANCE_CACHE]),
      # nginx's check of every download with the engines (strict_authentication):
      # scc_proxy's authentication and strict_authentication's path checks
      # (RmtRs's), zypper_auth's instance verification around them, and a
      # BYOS or hybrid system's SCC checks (the engines' own methods, run in Ruby).
      Action.new(controller: AUTH_CHECK, action: "check", handler: :rmt_rs_auth_check, flavor: :pubcloud,
                 source: AUTH_CHECK_SOURCE, callbacks: [[:before, :authenticate_system, SCC_PROXY]], models: %w[System],
                 answers: [[AUTH_CHECK, :path_allowed?, ZYPPER_AUTH],
                           *%i[original_path_allowed? all_allowed_paths].map { |m| [AUTH_CHECK, m, AUTH_CHECK_SOURCE] },
                           *INSTANCE_CACHE]),
      *%i[rmt pubcloud].map do |flavor|
        Action.new(controller: SERVICES, action: "legacy_service", handler: :rmt_rs_legacy_service, flavor: flavor,
                   source: SERVICES_SOURCE,
                   callbacks: flavor == :rmt ? SERVICES_CALLBACKS : PUBCLOUD_SERVICES_CALLBACKS, models: %w[System],
                   answers: [["ServicesController", :make_repo_url, SERVICES_SOURCE],
                             ["RMT::Misc.singleton_class", :make_smt_service_name, "lib/rmt/misc.rb"],
                             *(flavor == :pubcloud ? INSTANCE_CACHE : [])])
      end
    ].freeze

    # Why an action RmtRs answers only with the engines stays RMT's in plain RMT.
    ONLY_WITH_ENGINES = "RmtRs answers it with RMT's public-cloud engines only"
  end
end
