# frozen_string_literal: true

module RmtRs
  VERSION = "0.1.0"
end
