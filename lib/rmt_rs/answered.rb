# frozen_string_literal: true

module RmtRs
  # Part of every module RmtRs prepends to a controller to answer in RMT's
  # place (ControllerHook, Health): the `process_action` notification says who
  # answered (payload :rmt_rs_answered, set when the module set
  # @rmt_rs_answered), so parity specs and metrics can tell RmtRs's answers
  # from RMT's own, whatever RmtRs's call cost.
  module Answered
    private

    def append_info_to_payload(payload)
      super
      payload[:rmt_rs_answered] = true if @rmt_rs_answered
    end
  end
end
