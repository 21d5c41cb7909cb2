# frozen_string_literal: true

module RmtRs
  # RmtRs's families in RMT's own Prometheus metrics (yabeda, RMT's
  # config/initializers/yabeda.rb), all named rmt_rs_*. The Railtie installs
  # them only when RMT's metrics are on (`scc: metrics: enabled`), RmtRs is on
  # and `rmt_rs: metrics` is not false; otherwise nothing is registered or
  # subscribed. docs/operators.md#metrics lists them.
  #
  # Where the figures come from:
  # - answers and their time: the `process_action.action_controller`
  #   notification RMT's controllers send for every request; its payload says
  #   whether RmtRs answered;
  # - 503s by cause, deadlock retries, the pool and the product-tree cache: counters the Rust core keeps per process
  #   (`Native.stats`), turned into yabeda counter increments by their growth
  #   since the last report, and gauges, in `report`: every REPORT_EVERY
  #   seconds in each process that has a pool (a thread started by its first
  #   answer, so an idle worker's gauges stay current), and in yabeda's
  #   collect; not per answer, where a snapshot and four writes to the
  #   DirectFileStore would cost every request for figures a scrape reads
  #   seconds later;
  # - actions left to RMT's path: RmtRs::Ownership.report.
  #
  # Each Puma worker writes its own values into RMT's DirectFileStore
  # (tmp/prometheus); the exporter (yabeda-puma-plugin's, in Puma's master)
  # adds counters and histograms up and shows each worker's pool gauges with
  # its `pid`.
  module Metrics
    # The group prefixes every family: rmt_rs_answers_total, ...
    GROUP = :rmt_rs
    # RmtRs's calls take milliseconds; the top buckets are its deadline's range.
    RUNTIME_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60].freeze
    # yabeda-rails' labels, for the family beside its rails_db_runtime_seconds.
    RAILS_TAGS = %i[controller action status format method].freeze
    REPORT_EVERY = 2
    LOCK = Mutex.new

    module_function

    # Whether RMT's own metrics are on, by RMT's own test (its initializer and
    # config/puma.rb ask the same), with yabeda loaded.
    def rmt_metrics?(settings = defined?(::Settings) ? ::Settings : nil)
      return false unless defined?(::Yabeda) && settings.respond_to?(:dig)

      settings.dig(:scc, :metrics, :enabled) ? true : false
    end

    # Declares the families and subscribes; once per process (the Railtie
    # calls it while the app initializes, before yabeda's configure!).
    def install!
      LOCK.synchronize do
        return false if @installed

        @installed = true
      end
      declare
      ActiveSupport::Notifications.subscribe("process_action.action_controller") { |*args| answered(*args) }
      rails_runtime_hook
      true
    end

    def declare
      ::Yabeda.configure do
        group GROUP do
          counter :answers_total, comment: "Requests RmtRs answered, by controller, action and status",
                                  tags: %i[controller action status]
          histogram :runtime, comment: "RmtRs's time per answer (its calls into Rust), by controller and action",
                              unit: :seconds, buckets: RUNTIME_BUCKETS, tags: %i[controller action]
          histogram :request_runtime, comment: "RmtRs's time in each request it answered, with yabeda-rails' labels " \
                                               "and buckets: add it to rails_db_runtime_seconds",
                                      unit: :seconds, buckets: Metrics.rails_buckets, tags: RAILS_TAGS
          counter :unavailable_total, comment: "RmtRs's 503 answers by cause", tags: %i[cause]
          counter :deadlock_retries_total, comment: "Transactions RmtRs ran again after MariaDB chose them as " \
                                                    "deadlock victims", tags: []
          counter :catalog_trees_total, comment: "Product trees RmtRs needed: from its cache (hit), read after a " \
                                                 "catalog change or first (miss), read without catalog tracking " \
                                                 "(untracked)", tags: %i[result]
          # Per worker: DirectFileStore's default for gauges keeps each
          # process's value apart, labelled with its pid.
          gauge :pool_size, comment: "Connections RmtRs's pool may open, per Puma worker", tags: []
          gauge :pool_in_use, comment: "RmtRs's pooled connections serving a call, per Puma worker", tags: []
          gauge :pool_idle, comment: "RmtRs's open pooled connections not in use, per Puma worker", tags: []
          gauge :pool_waiting, comment: "RmtRs's calls waiting for a pooled connection, per Puma worker", tags: []
          # The same in every worker: the newest value is the value.
          gauge :actions_left, comment: "1 for each action RmtRs knows and leaves to RMT's Ruby path, with why",
                               tags: %i[controller action reason], aggregation: :most_recent
          collect { Metrics.collect }
        end
      end
    end

    # yabeda-rails' buckets as it configures them, so that this family's
    # buckets add up with rails_db_runtime_seconds' one by one.
    def rails_buckets
      return RUNTIME_BUCKETS unless defined?(::Yabeda::Rails::LONG_RUNNING_REQUEST_BUCKETS)

      ::Yabeda::Rails.config.buckets || ::Yabeda::Rails::LONG_RUNNING_REQUEST_BUCKETS
    end

    # RmtRs's time goes beside yabeda-rails' own figures of the request, through
    # yabeda-rails' hook for per-request additions, as a family of its own
    # (rmt_rs_request_runtime_seconds, same labels and buckets as
    # rails_db_runtime_seconds) rather than into rails_db_runtime_seconds: that
    # figure comes from the payload's :db_runtime, which is ActiveRecord's time
    # and is what RMT's log line prints as "ActiveRecord: …ms". Raising it in the
    # payload would change RMT's log lines and give ActiveRecord time it did not
    # spend; observing rails_db_runtime a second time would count each request
    # twice. A dashboard adds the two families (sum by the same labels) to see
    # the database time of a request whichever path answered it.
    def rails_runtime_hook
      return unless defined?(::Yabeda::Rails) && ::Yabeda::Rails.respond_to?(:on_controller_action)

      ::Yabeda::Rails.on_controller_action do |event, labels|
        payload = event.payload
        next unless payload[:rmt_rs_answered]

        ::Yabeda.rmt_rs_request_runtime.measure(labels.slice(*RAILS_TAGS), payload[:rmt_rs_runtime].to_f / 1000.0)
      end
    end

    # One request's notification: counted when RmtRs answered it.
    def answered(_name, started, finished, _id, payload)
      return unless payload[:rmt_rs_answered]

      labels = { controller: payload[:controller].to_s, action: payload[:action].to_s }
      ::Yabeda.rmt_rs_answers_total.increment(labels.merge(status: status_of(payload)))
      runtime = payload.key?(:rmt_rs_runtime) ? payload[:rmt_rs_runtime].to_f / 1000.0 : finished - started
      ::Yabeda.rmt_rs_runtime.measure(labels, runtime)
      reporting
    rescue StandardError => e
      failed(e)
    end

    def status_of(payload)
      return payload[:status].to_i.to_s if payload[:status]
      return "500" unless payload[:exception]

      ActionDispatch::ExceptionWrapper.status_code_for_exception(payload[:exception].first).to_s
    end

    # yabeda's collect (in the process the exporter runs in): the actions left
    # to RMT, and this process's counters when it has a pool.
    def collect
      left.each do |controller, action, reason|
        ::Yabeda.rmt_rs_actions_left.set({ controller: controller, action: action, reason: reason }, 1)
      end
      report
    rescue StandardError => e
      failed(e)
    end

    # [controller, action, reason] of each action left to RMT's path, decided
    # once the app initialized (an ownership check walks the app's code).
    def left
      return [] unless ::Rails.application&.initialized?

      @left ||= RmtRs::Ownership.report.filter_map { |controller, action, reason| [controller.name, action.to_s, reason] if reason }
    end

    # The core's counters since the last report into yabeda, and the pool's
    # gauges. Counters are cumulative per process; one that went down belongs
    # to a new engine (RmtRs configured again) and counts from zero.
    def report
      stats = Native.stats
      LOCK.synchronize do
        last = @last || {}
        increments(stats, last).each do |(metric, labels), by|
          ::Yabeda.public_send(metric).increment(labels, by: by) if by.positive?
        end
        @last = flat(stats)
      end
      # Only a process with a pool reports by itself: Puma's master (where
      # the exporter's collect runs) has none.
      pool(stats) && reporting
    end

    def increments(stats, last)
      flat(stats).to_h do |key, now|
        before = last.fetch(key, 0)
        [key, now >= before ? now - before : now]
      end
    end

    # {[metric, labels] => count} of a Native.stats record.
    def flat(stats)
      counts = {}
      stats[:unavailable].each { |cause, n| counts[[:rmt_rs_unavailable_total, { cause: cause }]] = n }
      counts[[:rmt_rs_deadlock_retries_total, {}]] = stats[:deadlock_retries]
      stats[:catalog]&.each { |result, n| counts[[:rmt_rs_catalog_trees_total, { result: result.to_s }]] = n }
      counts
    end

    def pool(stats)
      pool = stats[:pool]
      return unless pool

      ::Yabeda.rmt_rs_pool_size.set({}, pool[:size])
      ::Yabeda.rmt_rs_pool_in_use.set({}, pool[:open] - pool[:idle])
      ::Yabeda.rmt_rs_pool_idle.set({}, pool[:idle])
      ::Yabeda.rmt_rs_pool_waiting.set({}, stats[:waiting])
      true
    end

    # A thread per process with a pool (each Puma worker, once it answered)
    # that reports every REPORT_EVERY seconds, so its gauges and the core's
    # counters reach the store while it idles.
    def reporting
      return if @reporter_pid == Process.pid

      LOCK.synchronize do
        return if @reporter_pid == Process.pid

        @reporter_pid = Process.pid
        Thread.new do
          Thread.current.name = "rmt_rs metrics"
          loop do
            sleep REPORT_EVERY
            report
          rescue StandardError => e
            failed(e)
          end
        end
      end
    end

    # Metrics never fail a request: the first failure of each kind is logged.
    def failed(error)
      @failed ||= {}
      return if @failed[error.class]

      @failed[error.class] = true
      ::Rails.logger&.warn("RmtRs: metrics: #{error.class}: #{error.message}")
    end
  end
end
