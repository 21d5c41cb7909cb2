# frozen_string_literal: true

module RmtRs
  # The fast lane (opt-in, beside `rmt_rs.enabled`): the announces,
  # activations and product trees RmtRs owns are answered at the end of
  # Rails' middleware stack, before routing, from the raw request: Rust parses
  # it with Rails' parameter semantics, authenticates, writes and renders the
  # answer and RMT's log lines; Ruby only sends RMT's notifications (which
  # also feed RMT's log and metrics) as its controller would. Every middleware
  # of the app (request ids, the request log's "Started" line, ETag, exception
  # pages, Rack::Timeout) still runs around it.
  #
  #   Rails.application.config.rmt_rs.fast_lane = true   # or RMT_RS_FAST_LANE=1
  #
  # A request it cannot answer exactly as RMT would (another content type, a
  # query string Rack reads otherwise, text only Ruby's `inspect` renders, no
  # basic credentials, an action RmtRs leaves to RMT, routes or log settings
  # it does not know) goes through Rails untouched.
  class FastLane
    # [method, path] => [action, controller (V4; V3 is its parent)].
    ROUTES = {
      %w[POST /connect/subscriptions/systems] => %w[announce_system Api::Connect::V4::Subscriptions::SystemsController],
      %w[POST /connect/systems/products] => %w[activate Api::Connect::V4::Systems::ProductsController],
      %w[GET /connect/systems/products] => %w[show Api::Connect::V4::Systems::ProductsController]
    }.freeze
    LOCK = Mutex.new

    def initialize(app)
      @app = app
    end

    def call(env)
      return @app.call(env) unless ROUTES.key?([env["REQUEST_METHOD"], env["PATH_INFO"]])

      return @app.call(env) unless FastLane.on?

      settings = FastLane.settings
      return declined(env, "shut in this app") unless settings

      request = read(env)
      return declined(env, "shut in this app") if request && !settings.open.include?(request.action)
      return @app.call(env) unless request

      logged = logger.info? ? request.logged_params(settings.log) : ""
      return declined(env, "parameters the request log shows otherwise") unless logged

      Arrival.during(env) { Answering.new(env, request, logged, logger).call }
    end

    # Left to Rails, counted by `reason` in RmtRs's metrics (Rust counts the
    # declines it makes itself).
    def declined(env, reason)
      Metrics.declined(reason)
      @app.call(env)
    end

    # The request RmtRs answers, or nil; the body stays readable for Rails.
    # Rails reads CONTENT_LENGTH bytes of it (none without the header): a body
    # of another length is Rails' to read.
    def read(env)
      input = env["rack.input"]
      body = input ? input.read.to_s : +""
      input&.rewind
      unless body.bytesize == env["CONTENT_LENGTH"].to_i
        Metrics.declined("a body of another length than Content-Length")
        return nil
      end

      Native.fast_request(env["REQUEST_METHOD"], env["PATH_INFO"], env["CONTENT_TYPE"], env["HTTP_ACCEPT"],
                          env["QUERY_STRING"], body, env["HTTP_AUTHORIZATION"], env["HTTP_SYSTEM_TOKEN"],
                          env["HTTP_USER_AGENT"])
    end

    def logger
      ActionController::Base.logger || ::Rails.logger
    end

    # What the fast lane decided once: the actions it answers, and how the
    # request log shows their parameters.
    Settings = Struct.new(:open, :log)

    class << self
      def on?
        ::Rails.application.config.rmt_rs.enabled && ::Rails.application.config.rmt_rs.fast_lane
      end

      # The Settings, or nil when the fast lane stays shut: decided once the
      # app is initialized (engines add routes and callbacks while it
      # initializes). An action it must not answer in this app is left to
      # Rails, with a boot line saying why.
      def settings
        return nil unless ::Rails.application&.initialized?
        return @settings if defined?(@settings)

        LOCK.synchronize do
          next @settings if defined?(@settings)

          @settings = decide
        end
      end

      # Decide again (code reloaded, or specs changing what is checked).
      def reset!
        LOCK.synchronize do
          remove_instance_variable(:@settings) if defined?(@settings)
          @headers = nil
        end
      end

      # The headers Rails' response carries for JSON (its default headers),
      # read once; each answer merges its own into a copy (middleware adds to it).
      def headers
        return @headers if @headers

        defaults = (ActionDispatch::Response.default_headers || {}).to_h
        @headers = defaults.merge("Content-Type" => Answering::JSON_TYPE).freeze
      end

      # Why the fast lane must not answer `action` (of `controller`, routed
      # by `method` and `path`) in this app, or nil.
      def shut_because(method, path, action, controller)
        [controller, controller.sub("::V4::", "::V3::")].each do |name|
          klass = name.safe_constantize
          return "#{name} is not loaded" unless klass
          return "#{name}##{action} is not RmtRs's in RMT without engines" unless rmt_flavor?(klass, action)
          return "#{name} wraps parameters differently" unless klass._wrapper_options.format.include?(:json)
        end
        route = ::Rails.application.routes.recognize_path(path, method: method)
        expected = controller.delete_suffix("Controller").underscore
        return "#{method} #{path} routes to #{route[:controller]}##{route[:action]}" unless
          route[:controller] == expected && route[:action] == action

        filters = ::Rails.application.config.filter_parameters
        plain = filters.all? { |f| (f.is_a?(String) || f.is_a?(Symbol)) && !f.to_s.include?(".") }
        "filter_parameters has more than plain words" unless plain
      rescue ActionController::RoutingError
        "#{method} #{path} has no route"
      end

      # Whether RMT's connect API has system tokens switched on, as the
      # controller path asks (RMT's own predicate, which reads RMT's settings
      # on every request).
      def system_tokens?(controller)
        Object.const_get(controller).allocate.send(:rmt_rs_system_tokens?)
      end

      private

      def decide
        open = ROUTES.filter_map do |(method, path), (action, controller)|
          reason = shut_because(method, path, action, controller)
          ::Rails.logger.warn("RmtRs: the fast lane leaves #{method} #{path} to Rails: #{reason}") if reason
          action unless reason
        end
        open.empty? ? nil : Settings.new(open.freeze, log_settings(open))
      end

      def rmt_flavor?(controller, action)
        Ownership.handler(controller, action)&.last == :rmt
      end

      def log_settings(actions)
        wrappers = actions.filter_map do |action|
          options = ROUTES.values.assoc(action).last.constantize._wrapper_options
          [action, options.name.to_s, options.include.map(&:to_s)] if options.name && options.include
        end
        Native.log_settings(::Rails.application.config.filter_parameters.map(&:to_s), wrappers)
      end
    end

    # One request answered: RMT's notifications around RmtRs's answer, as
    # ActionController::Instrumentation sends them, so the request log (and
    # anything else listening, such as RMT's metrics) sees RMT's controller.
    class Answering
      JSON_TYPE = "application/json; charset=utf-8"

      def initialize(env, request, logged, logger)
        @env = env
        @request = request
        @logged = logged
        @logger = logger
      end

      def call
        request = ActionDispatch::Request.new(@env)
        controller = @request.controller
        payload = { controller: controller, action: @request.action, request: request,
                    params: LoggedParams.new(@logged, request, controller, @request.action), headers: request.headers, format: :json,
                    method: request.request_method, path: request.fullpath, rmt_rs_fast_lane: true }
        ActiveSupport::Notifications.instrument("start_processing.action_controller", payload)
        ActiveSupport::Notifications.instrument("process_action.action_controller", payload) do
          status, body, headers, serializer = answer(request, controller)
          payload[:status] = status
          payload[:db_runtime] = 0.0
          payload[:rmt_rs_runtime] = Runtime.reset
          rack = render(status, body, headers, serializer, payload)
          payload[:response] = ActionDispatch::Response.new(*rack)
          rack
        end
      end

      private

      # [status, JSON, headers, serializer] of RmtRs's answer (its log lines
      # written) or of the error it raised, as the controller path renders them.
      def answer(request, controller)
        answer = Seam.response(Runtime.measure do
          @request.answer(request.base_url, !FastLane.system_tokens?(controller))
        end)
        answer.log.each { |level, line| @logger.public_send(level, line) }
        [answer.status, answer.body, answer.headers, answer.serializer]
      rescue RmtRs::Error => e
        [e.status, e.body.to_json, e.headers, nil]
      end

      # The Rack answer, with the headers Rails' response carries; the time
      # it takes is the log's "Views".
      def render(status, body, extra, serializer, payload)
        started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        Rendering.serialized(serializer) do
          [status, FastLane.headers.merge(extra), [body]]
        end
      ensure
        payload[:view_runtime] = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000.0
      end
    end

    # The `params` of the notifications: the log's text as Rust rendered it;
    # a listener wanting the Hash gets Rails' own (parsed from the body then),
    # and `params["controller"]` / `["action"]` the route's, as Rails' params
    # carry them (yabeda-rails labels every request by them).
    class LoggedParams
      def initialize(text, request, controller, action)
        @text = text
        @request = request
        @route = { "controller" => controller.delete_suffix("Controller").underscore, "action" => action }
      end

      def [](key)
        @route.fetch(key.to_s) { to_h[key.to_s] }
      end

      def except(*)
        self
      end

      def empty?
        false
      end

      def inspect
        @text
      end

      def to_h
        @request.filtered_parameters
      end
    end
  end
end
