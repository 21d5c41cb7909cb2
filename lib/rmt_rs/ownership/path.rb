# frozen_string_literal: true

require_relative "../fingerprint"

module RmtRs
  module Ownership
    # The Ruby on an action's path in the running app, by name: the code whose
    # work RmtRs does instead when it answers the action. Every piece must be
    # code RmtRs knows (FINGERPRINTS) for RmtRs to own the action.
    #
    # A piece is named by the class or module that defines it, `Owner#method`
    # or `Owner.method`, or for a block (a callback's, a scope's) by its file,
    # kind and place among that file's blocks of the kind. The path is taken
    # generously, since a piece that is not really on it costs nothing but an
    # entry in the table, while one left out could change unseen:
    # - every method of the controller, its ancestors and the modules the
    #   engines put in it, and its callbacks' blocks;
    # - every method and callback block of the models RmtRs writes and reads;
    # - every method of the classes shaping its answer (serializers, URL
    #   helpers), and the other controllers' methods it renders with.
    # Only code in the app's tree counts (RMT's, its engines', a site's
    # initializers): gems and RmtRs itself are not RMT's to change. And only a
    # class's own: what it inherits from the framework (or what a script, RMT's
    # spec support among them, defines on Object) is not on its path.
    module Path
      # The models whose rows RmtRs reads (the catalog) besides those an
      # action writes (Action#models).
      READ_MODELS = %w[System Product Service Repository Subscription].freeze
      # Where a class's own ancestors end.
      FRAMEWORK = %w[ActionController::Metal ActiveRecord::Base ActiveModel::Serializer Object].freeze

      module_function

      # {name => Method, UnboundMethod or Proc} of `entry`'s path in `controller`.
      def pieces(controller, entry)
        pieces = {}
        add_methods(pieces, controller, controller.instance_methods + controller.private_instance_methods)
        add_blocks(pieces, controller._process_action_callbacks)
        (entry.models + READ_MODELS).uniq.each { |name| add_model(pieces, name.constantize) }
        add_answers(pieces, ANSWER_METHODS.fetch(entry.flavor) + entry.answers.to_a)
        pieces
      end

      # Every piece of every action the table knows, in the running app: what
      # `rake rmt_rs:fingerprints` writes into the table for a release.
      def all(flavor)
        ACTIONS.select { |entry| entry.flavor == flavor }.each_with_object({}) do |entry, pieces|
          controller = entry.controller.safe_constantize
          pieces.merge!(pieces(controller, entry)) if controller
        rescue NameError
          next
        end
      end

      # The running app's piece `name` ("Owner#method" or "Owner.method"), or nil.
      def piece(name)
        owner, separator, method = name.rpartition(/[#.]/)
        klass = owner.safe_constantize
        return unless klass && !method.empty?

        klass = klass.singleton_class if separator == "."
        klass.method_defined?(method) || klass.private_method_defined?(method) ? klass.instance_method(method) : nil
      end

      # What shapes the answer: a serializer or helper whole; of another
      # controller (RMT's `render_service`), the method named.
      def add_answers(pieces, answers)
        answers.each do |owner, name, _file|
          klass = Ownership.owner_of(owner)
          next add_methods(pieces, klass, [name]) if klass.is_a?(Class) && klass < ::ActionController::Metal

          add_class(pieces, klass)
        end
      end

      def add_model(pieces, model)
        add_class(pieces, model)
        add_blocks(pieces, model.__callbacks.values.flat_map(&:to_a))
      end

      # A class's (or module's) instance and singleton methods.
      def add_class(pieces, klass)
        add_methods(pieces, klass, klass.instance_methods + klass.private_instance_methods)
        singleton = klass.singleton_class
        add_methods(pieces, singleton, singleton.instance_methods + singleton.private_instance_methods)
      end

      def add_methods(pieces, klass, names)
        own = own_ancestors(klass)
        names.uniq.each do |name|
          method = klass.instance_method(name)
          next unless own.include?(method.owner) && app_code?(method)

          pieces[method_name(method, name)] = method
        end
      end

      # Callback blocks, each named by its file, kind and place among the
      # blocks of that file and kind met so far (a subclass's chain starts
      # with its parent's).
      def add_blocks(pieces, callbacks)
        callbacks.each do |callback|
          block = callback.respond_to?(:raw_filter) ? callback.raw_filter : callback.filter
          next unless block.is_a?(Proc) && app_code?(block) && !pieces.value?(block)

          base = "#{relative(block.source_location.first)} #{callback.kind} block"
          pieces["#{base} #{pieces.keys.count { |key| key.start_with?(base) } + 1}"] = block
        end
      end

      # The class's ancestors before the framework's (for a singleton class,
      # those of the class's ancestors' singletons).
      def own_ancestors(klass)
        stops = FRAMEWORK.filter_map(&:safe_constantize)
        stops = stops.map(&:singleton_class) + [Module, Object] if klass.singleton_class?
        klass.ancestors.take_while { |ancestor| !stops.include?(ancestor) }
      end

      def method_name(method, name)
        owner = method.owner
        if owner.singleton_class?
          receiver = owner.inspect[/\A#<Class:([\w:]+)/, 1]
          "#{receiver}.#{name}"
        else
          "#{owner.name || relative(method.source_location.first)}##{name}"
        end
      end

      # Code in the app's tree, and not RmtRs's own (when RmtRs is installed
      # under the app's engines/).
      def app_code?(code)
        file = code.source_location&.first
        return false unless file && relative(file)

        !(code.respond_to?(:owner) && code.owner.name.to_s.start_with?("RmtRs"))
      end

      def relative(path)
        root = "#{::Rails.root}/"
        path&.start_with?(root) ? path.delete_prefix(root) : nil
      end
    end
  end
end
