# frozen_string_literal: true

# Loaded into RMT's own rspec run (script/rmt spec) after RMT's rails_helper.
#
# RMT's specs keep factory rows in an open transaction on ActiveRecord's
# connection (transactional fixtures); RmtRs reads and writes through its own
# pool and would never see them. So examples run without that transaction, and
# every table but Rails' own is emptied before the suite and after each example,
# its AUTO_INCREMENT reset: some of RMT's specs expect a product and its service
# to get the same id, as they do in a fresh database.
# RMT's Ruby path passes its request specs this way too, so a difference between
# RMT_RS=1 and RMT_RS=0 is RmtRs's alone.
require "rails_helper"
require_relative "bounded_mkdir_p"
require_relative "../../support/example_on_signal"

module RmtRsHost
  KEEP = %w[schema_migrations ar_internal_metadata rmt_rs_catalog_changes rmt_rs_catalog_versions].freeze

  module_function

  def empty_tables
    connection = ActiveRecord::Base.connection
    connection.disable_referential_integrity do
      (connection.tables - KEEP).each do |table|
        name = connection.quote_table_name(table)
        connection.execute("ALTER TABLE #{name} AUTO_INCREMENT = 1") if connection.exec_delete("DELETE FROM #{name}").positive?
      end
    end
  end
end

# RMT_RS_SWITCHES="shed_announces=2000,health_when_saturated=1000": RmtRs's
# opt-in switches (milliseconds, as RmtRs.configure takes them) on for the
# whole run, said at its start (the Rakefile's rmt:requests and rmt:engines
# run RMT's specs so once more).
OVERLOAD_SWITCHES = ENV.fetch("RMT_RS_SWITCHES", "").split(",").to_h do |pair|
  key, value = pair.split("=", 2)
  [key.to_sym, Integer(value)]
end

RSpec.configure do |config|
  config.use_transactional_fixtures = false
  config.before(:suite) do
    next if OVERLOAD_SWITCHES.empty? || !RmtRs::Railtie.enabled?

    RmtRs::Railtie.configure_from(ActiveRecord::Base.connection_db_config.configuration_hash.merge(OVERLOAD_SWITCHES))
    warn "RmtRs's switches on: #{OVERLOAD_SWITCHES.map { |key, ms| "#{key} #{ms} ms" }.join(', ')}"
  end
  config.before(:suite) { RmtRsHost.empty_tables }
  config.after { RmtRsHost.empty_tables }
  config.before(:suite) do
    path = RmtRs::Railtie.enabled? ? "RmtRs" : "RMT's Ruby path"
    warn "RMT #{Rails.root.basename} (#{Rails.env}) answering with #{path}"
  end
end

# With RmtRs on, how many of RMT's requests it answered (through RMT's
# controllers), by action: the rest were RMT's own.
if RmtRs::Railtie.enabled?
  answered = Hash.new(0)
  ActiveSupport::Notifications.subscribe("process_action.action_controller") do |*, payload|
    answered[payload[:action]] += 1 if payload[:rmt_rs_answered]
  end
  RSpec.configure do |config|
    config.after(:suite) do
      next if answered.empty?

      warn "RmtRs answered in RMT's controllers: #{answered.sort.map { |action, n| "#{n} #{action}" }.join(', ')}"
    end
  end
end
