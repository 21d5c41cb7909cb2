# frozen_string_literal: true

module RmtRs
  # The checker (see lib/rmt_rs/ownership.rb): decides, from the table
  # (ownership/table.rb) and the running app's classes, which handler answers an
  # action, once per class and action.
  module Ownership
    @verdicts = {}
    @checks = {}
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

      # Whether `code`, the piece `name` of an action's path in a `flavor` app,
      # is code RmtRs knows.
      def known?(name, code, flavor)
        releases_of(name, flavor, code).any?
      end

      # The releases whose code the running app's piece `name` (`code`, else
      # looked up by name) is in a `flavor` app, [] when RmtRs does not know it
      # (or the app has no such piece).
      def releases_of(name, flavor = expected_flavor, code = Path.piece(name))
        labels = code ? FINGERPRINTS.fetch(name, {}).fetch(Fingerprint.of(code), "").split : []
        labels.filter_map do |label|
          release, only = label.split("-", 2)
          release if only.nil? || only == flavor.to_s
        end
      end

      # The class (or singleton class, "Name.singleton_class") a table entry names.
      def owner_of(name)
        receiver, singleton = name.split(".")
        constant = receiver.constantize
        singleton ? constant.singleton_class : constant
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
        @lock.synchronize do
          @verdicts = {}
          @checks = {}
        end
        Fingerprint.reset!
        Release.reset!
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

      # nil when RmtRs owns the action, else why not; found once per class and
      # table entry until the next reset!. The boot's report (the railtie's
      # after_initialize, once the engines added their callbacks) checks every
      # loaded controller, so a worker's first requests look verdicts up
      # instead of walking every method of the controller again (a third of a
      # second of CPU per worker in `script/herd profile`).
      def check(controller, entry)
        key = [controller, entry]
        return @checks[key] if @checks.key?(key)

        @checks[key] = check!(controller, entry)
      end

      def check!(controller, entry)
        return UNSUPPORTED unless Release.supported?

        source = defined_in(controller.instance_method(entry.action))
        return "its action is defined in #{source}" unless source == entry.source

        callbacks = controller._process_action_callbacks.map do |callback|
          [callback.kind, name_of(callback), callback_source(controller, raw_filter(callback))]
        end
        unknown = callbacks.uniq - entry.callbacks - entry.optional.to_a
        missing = entry.callbacks - callbacks
        return "callbacks RmtRs does not know: #{describe(unknown)}" if unknown.any?
        return "callbacks RmtRs expects are gone: #{describe(missing)}" if missing.any?

        answer_verdict(entry) || model_verdict(entry) || code_verdict(controller, entry)
      rescue NameError => e
        "cannot be checked (#{e.message})"
      end

      # nil when every piece of code on the action's path is one RmtRs knows
      # (ownership/path.rb, ownership/fingerprints.rb), else the first that is not.
      def code_verdict(controller, entry)
        Path.pieces(controller, entry).each do |name, code|
          next if known?(name, code, entry.flavor)

          file, line = code.source_location
          return "the code of #{name} (#{relative(file)}:#{line}) is not code RmtRs knows " \
                 "(fingerprint #{Fingerprint.of(code) || 'none'})"
        end
        nil
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
