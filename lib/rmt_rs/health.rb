# frozen_string_literal: true

require_relative "answered"

module RmtRs
  # RMT's health check, telling the truth (opt-in: `health_when_saturated`).
  #
  # RMT answers `GET /api/health/status` with 200 {"state":"online"} whatever
  # its load. registercloudguest asks every server of its region in turn
  # (cloud-regionsrv-client, smt.py `is_responsive`: 2 s) and registers with
  # the first that answers 200 with "online": a server whose queue makes each
  # request wait is still picked, and its new instances wait there too. With
  # the setting, a worker whose requests waited the setting's seconds or more
  # over the last second (the core's saturation detector, the one
  # `shed_announces` uses, with this target) answers 503, `Retry-After` and
  # {"state":"saturated"}: not responsive to registercloudguest (it takes 200
  # with "online" only), which takes the next server. Otherwise, and always
  # with the setting off, RMT's own callbacks and action answer.
  #
  # Prepended to Api::HealthController (with RmtRs on) by the Railtie; the
  # setting is read per request from RmtRs's configuration, so that
  # `RmtRs.configure` switches it.
  module Health
    include Answered

    STATE = "saturated"

    # Whether the health check of the request of `env` says saturated: never
    # without the setting (the core is not asked); else the core's verdict,
    # the request's own wait recorded (Engine::health_saturated says why).
    def self.saturated?(env)
      return false unless Configuration.health_when_saturated

      Arrival.during(env) { Native.health_saturated? }
    end

    def run_callbacks(kind, &block)
      return super unless kind == :process_action && action_name == "status" && RmtRs::Railtie.enabled? &&
                          RmtRs::Health.saturated?(request.env)

      @rmt_rs_answered = true
      response.headers["Retry-After"] = Configuration.retry_after.to_s
      render status: :service_unavailable, json: { state: STATE }
    end
  end
end
