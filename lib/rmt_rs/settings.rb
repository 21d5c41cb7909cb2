# frozen_string_literal: true

module RmtRs
  # RmtRs's switches as RMT's operators set RMT: an `rmt_rs:` section of
  # /etc/rmt.conf, read through RMT's own `Settings`:
  #
  #   rmt_rs:
  #     enabled: true      # RmtRs answers the actions it owns (default false)
  #     deadline: 30       # seconds from a request's arrival before it is answered 503 (default 30)
  #     patience: 50       # seconds its client waits: an older request is answered 503 before any write (default 50)
  #     shed_announces: 5  # opt-in: seconds requests wait at which new announces are refused (default: never)
  #     health_when_saturated: 1  # opt-in: seconds requests wait at which RMT's health check answers 503
  #                        # {"state":"saturated"} (default: never; RMT's answer)
  #     pool: 5            # RmtRs's own connections per Puma worker (default: database's pool)
  #     metrics: true      # RmtRs's rmt_rs_* families in RMT's Prometheus metrics, when
  #                        # RMT's are on (scc: metrics: enabled) (default true)
  #
  # Precedence, highest first: the environment (RMT_RS, RMT_RS_METRICS), an
  # initializer that sets `Rails.application.config.rmt_rs.enabled` or
  # `.metrics`, the `rmt_rs:` section, the default (off; metrics on). An
  # unknown key or a bad value stops RMT at boot with a line naming it, not at
  # the first request.
  #
  # A retired switch (RETIRED: `fast_lane`, RMT_RS_FAST_LANE) is accepted
  # whatever its value and ignored, with one boot line saying so: an operator
  # who had set it keeps a booting RMT.
  module Settings
    # Raised at boot for an `rmt_rs:` section RmtRs cannot take.
    class Invalid < StandardError; end

    KEYS = %w[enabled deadline patience shed_announces health_when_saturated pool metrics].freeze
    # Switches of earlier releases, by key: their environment variable and why
    # they no longer do anything.
    RETIRED = {
      "fast_lane" => ["RMT_RS_FAST_LANE", "the fast lane was folded into the controller path (docs/fast-lane.md)"]
    }.freeze
    # The settings in seconds that RmtRs.configure takes in milliseconds.
    SECONDS = %w[deadline patience shed_announces health_when_saturated].freeze
    TRUE = %w[1 true yes on].freeze
    FALSE = %w[0 false no off].freeze

    module_function

    # The `rmt_rs:` section of RMT's settings (::Settings, RMT's config gem),
    # checked: {"enabled" => true, ...} with the keys it has.
    def from_rmt(settings = rmt_settings)
      check(section(settings))
    end

    def rmt_settings
      defined?(::Settings) ? ::Settings : nil
    end

    def section(settings)
      section = settings.respond_to?(:[]) ? settings[:rmt_rs] : nil
      section.respond_to?(:to_h) ? section.to_h : section
    end

    # One boot line per retired switch still set: in RMT's settings (`settings`),
    # by an initializer (`options`, Rails.application.config.rmt_rs) or in `env`.
    def retired(settings = rmt_settings, options: {}, env: ENV)
      keys = section(settings)
      keys = keys.is_a?(Hash) ? keys.keys.map(&:to_s) : []
      RETIRED.flat_map do |key, (variable, why)|
        [("rmt_rs: #{key}" if keys.include?(key)),
         ("config.rmt_rs.#{key}" unless options[key.to_sym].nil?),
         (variable unless env.fetch(variable, "").strip.empty?)]
          .compact.map { |name| "RmtRs: #{name} is no longer used: #{why}" }
      end
    end

    def check(section)
      return {} if section.nil?
      raise Invalid, "rmt_rs: in RMT's settings must be a section of keys, not #{section.inspect}" unless section.is_a?(Hash)

      section = section.transform_keys(&:to_s).except(*RETIRED.keys)
      unknown = section.keys - KEYS
      raise Invalid, "rmt_rs: unknown setting(s) #{unknown.join(', ')} (known: #{KEYS.join(', ')})" if unknown.any?

      section.to_h do |key, value|
        name = "rmt_rs: #{key}"
        checked = case key
                  when "enabled", "metrics" then boolean(value, name)
                  when "pool" then positive(value, name).tap { |n| raise Invalid, "#{name} must be a whole number" unless n.is_a?(Integer) }
                  else positive(value, name)
                  end
        [key, checked]
      end
    end

    # The switch `name` ("enabled", "metrics") from the
    # environment variable `env`, else what an initializer set (`initializer`,
    # nil when none did), else the section's, else `default`; and where it
    # came from.
    def switch(name, env:, initializer:, section:, default: false)
      value = ENV.fetch(env, "").strip
      return [boolean(value, env), "the environment (#{env})"] unless value.empty?
      return [initializer, "an initializer"] unless initializer.nil?
      return [section[name], "RMT's settings (rmt_rs: #{name})"] if section.key?(name)

      [default, "the default"]
    end

    # RmtRs's database settings: the app's, with the section's pool and its
    # SECONDS (seconds, as operators write them; milliseconds for RmtRs.configure).
    def database(app_database, section)
      settings = app_database.to_h.transform_keys(&:to_s)
      settings = settings.merge("pool" => section["pool"]) if section.key?("pool")
      SECONDS.each do |key|
        settings = settings.merge(key => (section[key] * 1000).round) if section.key?(key)
      end
      settings
    end

    def boolean(value, name)
      return value if [true, false].include?(value)

      text = value.to_s.strip.downcase
      return true if TRUE.include?(text)
      return false if FALSE.include?(text)

      raise Invalid, "#{name} must be true or false, not #{value.inspect}"
    end

    def positive(value, name)
      number = Float(value.to_s, exception: false)
      raise Invalid, "#{name} must be a positive number, not #{value.inspect}" unless number&.positive?

      number == number.floor ? number.to_i : number
    end
  end
end
