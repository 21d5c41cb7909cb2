# frozen_string_literal: true

module RmtRs
  # What the controller renders: status, JSON body (a Hash with string keys, as
  # RMT's serializers produce, or RMT's JSON text) and extra response headers;
  # `activations_changed` tells whether an activation was created or removed
  # (registration sharing tells its peers); `log`, the lines RMT's action logs while
  # answering, as [level, line] (level a Logger method: "info", "error");
  # `serializer`, the name of the serializer RMT renders the
  # body with (nil: a Hash rendered as is; otherwise as
  # RmtRs::Rendering.serialized takes it); `system_id`, the system the request
  # authenticated as (nil when none), for the engines' after-actions.
  Response = Struct.new(:status, :body, :headers, :activations_changed, :log, :serializer, :system_id,
                        keyword_init: true)
end
