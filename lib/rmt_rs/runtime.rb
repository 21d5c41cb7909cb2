# frozen_string_literal: true

module RmtRs
  # The time this thread spent in RmtRs's calls, for RMT's request log line, as
  # ActiveRecord reports its own ("Completed 201 Created in 12ms (Views: 0.2ms
  # | ActiveRecord: 0.0ms | RmtRs: 3.1ms …)"), and for the
  # `process_action.action_controller` notification (payload :rmt_rs_runtime).
  module Runtime
    module_function

    def measure
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      yield
    ensure
      Thread.current[:rmt_rs_runtime] = runtime + ((Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000.0)
    end

    # Milliseconds so far.
    def runtime
      Thread.current[:rmt_rs_runtime] || 0.0
    end

    # Milliseconds so far, starting again from zero.
    def reset
      runtime.tap { Thread.current[:rmt_rs_runtime] = 0.0 }
    end

    # Extends the controllers RmtRs hooks: the payload and the log line.
    module ControllerRuntime
      private

      def append_info_to_payload(payload)
        super
        payload[:rmt_rs_runtime] = RmtRs::Runtime.reset
      end

      # Class methods.
      module Logging
        def log_process_action(payload)
          messages = super
          runtime = payload[:rmt_rs_runtime]
          messages << format("RmtRs: %.1fms", runtime) if runtime&.positive?
          messages
        end
      end
    end
  end
end
