# frozen_string_literal: true

module RmtRs
  # What `rake rmt_rs:status` prints (in RMT's tree; the engine folder's
  # rmt-rs-status runs it): RmtRs's version, whether it is on (and which
  # setting decided it), the database settings it derived from RMT's (never
  # the password), catalog tracking's state, and each action RmtRs knows with
  # who answers it and why.
  module Status
    module_function

    def lines
      options = ::Rails.application.config.rmt_rs
      [
        "RmtRs #{RmtRs::VERSION} on Ruby #{RUBY_VERSION}, RMT #{defined?(RMT::VERSION) ? RMT::VERSION : '(unknown)'}",
        # An engine folder or a gem: which copy this RMT loaded, when both exist.
        "loaded from: #{File.expand_path('..', __dir__)}",
        "enabled: #{options.enabled ? 'yes' : 'no'} (from #{options.enabled_by})",
        "metrics: #{metrics(options)}",
        "database: #{database}",
        "catalog tracking: #{catalog_tracking}",
        options.enabled ? "actions:" : "actions (RmtRs is off, RMT answers them all; switched on, it would answer):",
        *actions
      ]
    end

    # RmtRs's families in RMT's Prometheus metrics: whether they are
    # registered, and what decided it.
    def metrics(options)
      return "no (RMT's metrics are off: scc: metrics: enabled)" unless RmtRs::Metrics.rmt_metrics?
      return "no (RmtRs is off)" unless options.enabled

      "#{options.metrics ? 'yes' : 'no'} (from #{options.metrics_by})"
    end

    def database
      settings = RmtRs::Settings.database(ActiveRecord::Base.connection_db_config.configuration_hash,
                                          ::Rails.application.config.rmt_rs.section || {})
      shown = %w[host port socket username database encoding pool timeout deadline patience shed_announces
                 health_when_saturated].filter_map do |key|
        "#{key}=#{settings[key]}" if settings.key?(key) && !settings[key].to_s.empty?
      end
      "#{shown.join(' ')} (password not shown)"
    end

    def catalog_tracking
      installed = ActiveRecord::Base.connection.table_exists?("rmt_rs_catalog_versions")
      installed ? "installed (product trees are cached)" : "not installed (rake rmt_rs:catalog_tracking:install)"
    rescue StandardError => e
      "unknown (#{e.class})"
    end

    def actions
      unless Ownership::Release.supported?
        return ["  all on RMT's Ruby path: #{Ownership::UNSUPPORTED}"]
      end

      Ownership.report.map do |controller, action, reason|
        format("  %-62s %s", "#{controller}##{action}", reason ? "RMT's path: #{reason}" : "RmtRs")
      end
    end
  end
end
