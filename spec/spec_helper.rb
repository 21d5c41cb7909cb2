# frozen_string_literal: true

require "rmt_rs"
require_relative "support/database"
require_relative "support/example_on_signal"

RSpec.configure do |config|
  config.include DatabaseHelpers
  config.disable_monkey_patching!
  config.order = :random

  config.before(:suite) do
    DatabaseHelpers.start_and_load_schema
    RmtRs.configure(database: DatabaseHelpers.settings)
  end

  config.before { DatabaseHelpers.clean_tables }
end
