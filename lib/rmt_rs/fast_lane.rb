# frozen_string_literal: true

module RmtRs
  # The fast lane (opt-in, beside `rmt_rs.enabled`): the announces RmtRs owns
  # are answered at the end of Rails' middleware stack, before routing, from the
  # raw request: Rust parses the body with Rails' parameter semantics, writes
  # and renders the answer; Ruby only sends RMT's log lines and notifications
  # (which also feed RMT's metrics) as its controller would. Every middleware
  # of the app (request ids, the request log's "Started" line, ETag, exception
  # pages, Rack::Timeout) still runs around it.
  #
  #   Rails.application.config.rmt_rs.fast_lane = true   # or RMT_RS_FAST_LANE=1
  #
  # A request it cannot answer exactly as RMT would (another content type, a
  # query string, text only Ruby's `inspect` renders, an action RmtRs leaves to
  # RMT, routes or log settings it does not know) goes through Rails untouched.
  class FastLane
    ANNOUNCE_PATH = "/connect/subscriptions/systems"
    ACTION = "announce_system"
    V4 = "Api::Connect::V4::Subscriptions::SystemsController"
    V3 = "Api::Connect::V3::Subscriptions::SystemsController"
    LOCK = Mutex.new

    def initialize(app)
      @app = app
    end

    def call(env)
      return @app.call(env) unless env["REQUEST_METHOD"] == "POST" && env["PATH_INFO"] == ANNOUNCE_PATH

      settings = FastLane.settings
      return @app.call(env) unless settings && FastLane.on?

      announce = read(env)
      logged = announce && logger.info? ? announce.logged_params(settings) : ""
      return @app.call(env) unless announce && logged

      Answering.new(env, announce, logged, logger).call
    end

    # The announce in the request, or nil; the body stays readable for Rails.
    # Rails reads CONTENT_LENGTH bytes of it (none without the header): a body
    # of another length is Rails' to read.
    def read(env)
      input = env["rack.input"]
      body = input ? input.read.to_s : +""
      input&.rewind
      return nil unless body.bytesize == env["CONTENT_LENGTH"].to_i

      Native.fast_announce(env["CONTENT_TYPE"], env["HTTP_ACCEPT"], env["QUERY_STRING"], body)
    end

    def logger
      ActionController::Base.logger || ::Rails.logger
    end

    class << self
      def on?
        ::Rails.application.config.rmt_rs.enabled && ::Rails.application.config.rmt_rs.fast_lane
      end

      # What the log needs to show parameters as Rails would, or nil when the
      # fast lane stays shut: decided once the app is initialized (engines add
      # routes and callbacks while it initializes).
      def settings
        return nil unless ::Rails.application&.initialized?
        return @settings if defined?(@settings)

        LOCK.synchronize do
          next @settings if defined?(@settings)

          reason = shut_because
          ::Rails.logger.warn("RmtRs: the fast lane stays shut: #{reason}") if reason
          @settings = reason ? nil : log_settings
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

      # Why the fast lane must not answer announces in this app, or nil.
      def shut_because
        [V4, V3].each do |name|
          controller = name.safe_constantize
          return "#{name} is not loaded" unless controller
          return "#{name}##{ACTION} is not RmtRs's in RMT without engines" unless rmt_flavor?(controller)
          return "#{name} wraps parameters differently" unless controller._wrapper_options.format.include?(:json)
        end
        route = ::Rails.application.routes.recognize_path(ANNOUNCE_PATH, method: :post)
        return "#{ANNOUNCE_PATH} routes to #{route[:controller]}##{route[:action]}" unless route_ours?(route)

        filters = ::Rails.application.config.filter_parameters
        plain = filters.all? { |f| (f.is_a?(String) || f.is_a?(Symbol)) && !f.to_s.include?(".") }
        "filter_parameters has more than plain words" unless plain
      rescue ActionController::RoutingError
        "#{ANNOUNCE_PATH} has no route"
      end

      private

      def rmt_flavor?(controller)
        Ownership.handler(controller, ACTION) == [:rmt_rs_announce, :rmt]
      end

      def route_ours?(route)
        route[:controller] == "api/connect/v4/subscriptions/systems" && route[:action] == ACTION
      end

      def log_settings
        options = V4.constantize._wrapper_options
        wrapper = options.name && options.include ? [options.name.to_s, options.include.map(&:to_s)] : nil
        Native.log_settings(::Rails.application.config.filter_parameters.map(&:to_s), wrapper)
      end
    end

    # One announce answered: RMT's notifications around RmtRs's answer, as
    # ActionController::Instrumentation sends them, so the request log (and
    # anything else listening, such as RMT's metrics) sees RMT's controller.
    class Answering
      JSON_TYPE = "application/json; charset=utf-8"

      def initialize(env, announce, logged, logger)
        @env = env
        @announce = announce
        @logged = logged
        @logger = logger
      end

      def call
        request = ActionDispatch::Request.new(@env)
        payload = { controller: @announce.controller, action: ACTION, request: request,
                    params: LoggedParams.new(@logged, request), headers: request.headers, format: :json,
                    method: request.request_method, path: request.fullpath, rmt_rs_fast_lane: true }
        ActiveSupport::Notifications.instrument("start_processing.action_controller", payload)
        ActiveSupport::Notifications.instrument("process_action.action_controller", payload) do
          status, body, headers = answer
          payload[:status] = status
          payload[:db_runtime] = 0.0
          payload[:rmt_rs_runtime] = Runtime.reset
          rack = render(status, body, headers, payload)
          payload[:response] = ActionDispatch::Response.new(*rack)
          rack
        end
      end

      private

      # [status, JSON, headers] of RmtRs's answer or of the error it raised,
      # as the controller path renders them.
      def answer
        status, body, headers = Runtime.measure { @announce.answer }
        @logger.info("System '#{@announce.hostname}' announced")
        [status, body, headers.to_h]
      rescue RmtRs::Error => e
        [e.status, e.body.to_json, e.headers]
      end

      # The Rack answer, with the headers Rails' response carries; the time
      # it takes is the log's "Views".
      def render(status, body, extra, payload)
        started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        serialized(status) do
          [status, FastLane.headers.merge(extra), [body]]
        end
      ensure
        payload[:view_runtime] = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000.0
      end

      # The log's "Rendered …" line: RMT renders a created system with its
      # serializer, the controller path an error's Hash without one.
      def serialized(status, &block)
        return yield unless defined?(::ActiveModelSerializers::Logging::RENDER_EVENT)

        payload = if status == 201
                    { serializer: ::V3::SystemSerializer,
                      adapter: ::ActiveModelSerializers::Adapter.configured_adapter.allocate }
                  else
                    { serializer: ::ActiveModel::Serializer::Null, adapter: {} }
                  end
        ActiveSupport::Notifications.instrument(::ActiveModelSerializers::Logging::RENDER_EVENT, payload, &block)
      end
    end

    # The `params` of the notifications: the log's text as Rust rendered it;
    # a listener wanting the Hash gets Rails' own (parsed from the body then).
    class LoggedParams
      def initialize(text, request)
        @text = text
        @request = request
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
