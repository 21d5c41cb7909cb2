# frozen_string_literal: true

module RmtRs
  # Which of RMT's actions RmtRs answers, and the proof that it may.
  #
  # RmtRs owns an action whole: none of the controller's callbacks run for it,
  # because RmtRs does what they do. That is only right while the callbacks are
  # the ones it was written from. So an action is owned only when, in the running
  # app, (1) the action is RMT's own method, (2) the controller's callbacks are
  # exactly RMT 2.28's (same kind, name and defining file), and (3) the models
  # RmtRs writes have RMT's own callbacks and no others (an engine's after_commit,
  # say). Anything else (a pubcloud engine, a site's own code, a newer RMT that
  # renamed a callback) leaves the action on RMT's Ruby path, and the boot log
  # says why. This holds for V3, V4 and any subclass RMT or an engine defines.
  module Ownership
    Action = Struct.new(:controller, :action, :handler, :source, :callbacks, :models, keyword_init: true)

    CONNECT = "app/controllers/api/connect"
    PRODUCTS_SOURCE = "#{CONNECT}/v3/systems/products_controller.rb".freeze
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
    # [chain, kind, name, file] of the app-defined callbacks of the models RmtRs writes.
    MODEL_CALLBACKS = {
      "System" => [[:initialize, :after, :init, "app/models/system.rb"]],
      "Profile" => [],
      "SystemProfile" => [[:commit, :after, :destroy_orphaned_profile, "app/models/system_profile.rb"]],
      "Activation" => []
    }.freeze

    ACTIONS = [
      Action.new(controller: "Api::Connect::V3::Subscriptions::SystemsController", action: "announce_system",
                 handler: :rmt_rs_announce, source: "#{CONNECT}/v3/subscriptions/systems_controller.rb",
                 callbacks: [], models: %w[System Profile SystemProfile]),
      Action.new(controller: "Api::Connect::V3::Systems::ProductsController", action: "activate",
                 handler: :rmt_rs_activate, source: PRODUCTS_SOURCE, callbacks: PRODUCTS_CALLBACKS,
                 models: %w[System Activation]),
      Action.new(controller: "Api::Connect::V3::Systems::ProductsController", action: "show",
                 handler: :rmt_rs_show, source: PRODUCTS_SOURCE, callbacks: PRODUCTS_CALLBACKS,
                 models: %w[System Activation])
    ].freeze

    @verdicts = {}
    @lock = Mutex.new

    class << self
      # The controller method that answers `action` of `controller` with RmtRs, or
      # nil when RMT's own action must answer. Decided once per class and action
      # (a request only looks the decision up), and only once the app is
      # initialized: engines add their callbacks in their after_initialize.
      def handler(controller, action)
        return decide(controller, action) unless ::Rails.application&.initialized?

        @lock.synchronize do
          @verdicts.fetch([controller, action]) { @verdicts[[controller, action]] = decide(controller, action) }
        end&.first
      end

      # Every known action of the loaded controllers (and their subclasses), with
      # the reason it stays on RMT's path, or nil: for the boot log and specs.
      def report
        ACTIONS.flat_map do |entry|
          base = entry.controller.safe_constantize
          next [] unless base

          ([base] + base.descendants).map { |controller| [controller, entry.action, check(controller, entry)] }
        end
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

      # [handler] when RmtRs owns the action, else nil.
      def decide(controller, action)
        entry = entry_for(controller, action)
        [entry.handler] if entry && check(controller, entry).nil?
      end

      def entry_for(controller, action)
        ACTIONS.find { |entry| entry.action == action && controller.name && family?(controller, entry) }
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
          [callback.kind, callback.filter.is_a?(Symbol) ? callback.filter : :proc, callback_source(controller, callback.filter)]
        end
        unknown = callbacks.uniq - entry.callbacks
        missing = entry.callbacks - callbacks
        return "callbacks RmtRs does not know: #{describe(unknown)}" if unknown.any?
        return "callbacks RmtRs expects are gone: #{describe(missing)}" if missing.any?

        model_verdict(entry)
      rescue NameError => e
        "cannot be checked (#{e.message})"
      end

      def model_verdict(entry)
        entry.models.each do |name|
          model = name.safe_constantize
          return "model #{name} is missing" unless model

          found = app_callbacks(model)
          unknown = found - MODEL_CALLBACKS.fetch(name)
          missing = MODEL_CALLBACKS.fetch(name) - found
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
            file = callback_source(model, callback.filter)
            next unless file

            [chain, callback.kind, callback.filter.is_a?(Symbol) ? callback.filter : :proc, file]
          end
        end.uniq
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
