# frozen_string_literal: true

module RmtRs
  # Renders what RmtRs answered, or the RmtRs::Error it raised, as RMT's own
  # action would reach the client and the log: the lines RMT's action logs,
  # the headers, and the body inside the serializer's render notification.
  module Rendering
    # Runs the block (which renders the answer) inside ActiveModelSerializers'
    # render notification as RMT's render would send it (the log's "Rendered
    # V3::ServiceSerializer with …" line): with `serializer`, the name of the
    # serializer RMT renders the body with, or for a Hash rendered as is
    # (RMT's errors, nil) the Null serializer; for JSON text RMT serialized
    # `times` collections into itself (a Seam::Serialized of kind :text): a
    # notification for each, none for rendering the text; for a serializer RMT
    # builds itself (:prebuilt): the Null serializer with it as the adapter.
    def self.serialized(serializer, &block)
      return yield unless defined?(::ActiveModelSerializers::Logging::RENDER_EVENT)

      built = serializer.is_a?(Seam::Serialized) ? serializer : nil
      if built&.kind == :text
        built.times.times { serialized(built.serializer) { nil } }
        return yield
      end

      payload = if built&.kind == :prebuilt
                  { serializer: ::ActiveModel::Serializer::Null, adapter: Object.const_get(built.serializer).allocate }
                elsif serializer
                  { serializer: Object.const_get(serializer),
                    adapter: ::ActiveModelSerializers::Adapter.configured_adapter.allocate }
                else
                  { serializer: ::ActiveModel::Serializer::Null, adapter: {} }
                end
      ActiveSupport::Notifications.instrument(::ActiveModelSerializers::Logging::RENDER_EVENT, payload, &block)
    end

    private

    def render_rmt_rs(&block)
      render_answer(rmt_rs_answer(&block))
    end

    # What the block answers, or the RmtRs::Error it raised.
    def rmt_rs_answer
      yield
    rescue RmtRs::Error => e
      e
    end

    def render_answer(answer)
      logged_with_headers(answer)
      render_body(answer)
    end

    def render_body(answer)
      # RMT's `respond_with` of an update or a deregistration: no content,
      # nothing rendered.
      return head(:no_content) if answer.status == 204
      # strict_authentication's refusal of a service refresh.
      return render(plain: answer.body, status: answer.status) if answer.serializer == Seam::PLAIN

      # Rendered as text (the same JSON RMT renders), so that the only render
      # notification is the one RMT's serializer sends.
      body = answer.body.is_a?(String) ? answer.body : answer.body.to_json
      Rendering.serialized(answer.serializer) { render json: body, status: answer.status }
    end

    # The lines RMT's action logs, and the headers it sets.
    def logged_with_headers(answer)
      answer.log.each { |level, line| logger&.public_send(level, line) }
      answer.headers.each { |name, value| response.headers[name] = value }
    end
  end
end
