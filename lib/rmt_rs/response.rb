# frozen_string_literal: true

module RmtRs
  # What the controller renders: status, JSON body (a Hash with string keys, as
  # RMT's serializers produce) and extra response headers.
  Response = Struct.new(:status, :body, :headers, keyword_init: true)
end
