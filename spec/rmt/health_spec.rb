# frozen_string_literal: true

require_relative "parity_helper"

# RMT's health check with RmtRs (opt-in: health_when_saturated): 503
# {"state":"saturated"} with Retry-After while this worker is saturated, which
# registercloudguest does not take as online (smt.py `is_responsive` takes a
# 200 with "online" only); else RMT's own answer, by RMT's own action.
RSpec.describe "RMT's health check", :parity do
  # Seconds requests waited (nginx's X-Request-Start), and the target they pass.
  WAITED = 2
  TARGET_MS = 1000

  # Sends the block's request again and again, each `age` s old, for longer
  # than the detector's interval (1 s), so that its last interval judged
  # those waits; the answers' statuses.
  def keep_waiting(age = WAITED)
    answers = []
    until_at = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 1.3
    while Process.clock_gettime(Process::CLOCK_MONOTONIC) < until_at
      header "X-Request-Start", arrived(age)
      answers << yield.status
      sleep 0.1
    end
    answers
  end

  def health
    get "/api/health/status"
    last_response
  end

  def announce
    header "Accept", ParityHelpers::V4
    post "/connect/subscriptions/systems", { hostname: "waiting" }.to_json, "CONTENT_TYPE" => "application/json"
    last_response
  end

  # RMT's answer, with RmtRs off: [status, body, headers without the per-request ones].
  def rmt_answer
    RmtRs::Parity.switch(false)
    answer = health
    [answer.status, answer.body, answer.headers.except("X-Request-Id", "X-Runtime")]
  ensure
    RmtRs::Parity.switch(true)
  end

  before { RmtRs::Parity.clean_tables }

  it "with health_when_saturated, answers 503 saturated once the health checks themselves kept waiting" do
    status, _, headers = rmt_answer
    expect(status).to eq(200)
    answers = nil
    payloads = with_settings(health_when_saturated: TARGET_MS, retry_after: 9) { answers = keep_waiting { health } }
    # Nothing is judged before an interval has passed: RMT answered first.
    expect(answers.first).to eq(200)
    expect(payloads.first[:rmt_rs_answered]).to be_nil
    expect(answers.last).to eq(503)
    expect(JSON.parse(last_response.body)).to eq("state" => "saturated")
    expect(last_response.headers["Retry-After"]).to eq("9")
    expect(last_response.headers["Content-Type"]).to eq(headers["Content-Type"])
    expect(payloads.last).to include(rmt_rs_answered: true, status: 503, action: "status")
  end

  it "with health_when_saturated, answers 503 while RmtRs's own requests keep waiting, and RMT's answer once they do not" do
    payloads = with_settings(health_when_saturated: TARGET_MS) do
      expect(keep_waiting { announce }.uniq).to eq([201])
      header "X-Request-Start", nil
      expect(health.status).to eq(503)
      # The health check's own wait counts: it did not wait, so the interval
      # it fell in ends the saturation, though every announce in it waited.
      sleep 1.05
      expect(health.status).to eq(200)
    end
    expect(JSON.parse(last_response.body)).to eq("state" => "online")
    expect(payloads.last[:rmt_rs_answered]).to be_nil
  end

  it "with health_when_saturated and the worker not saturated, is RMT's answer, by RMT's action, on every path" do
    outcomes = nil
    with_settings(health_when_saturated: TARGET_MS) do
      # Requests that waited, but less than the target.
      keep_waiting(0.3) { announce }
      header "X-Request-Start", nil
      outcomes = RmtRs::Parity.on_both_paths(rmt_answers: %w[status]) { health }
    end
    expect(outcomes[:ruby]).to include(status: 200, body: { "state" => "online" })
    outcomes.each_value { |outcome| expect(outcome).to eq(outcomes[:ruby]) }
    RmtRs::Parity.logs.each_value { |lines| expect(lines).to eq(RmtRs::Parity.logs[:ruby]) }
  end

  it "without health_when_saturated, is RMT's answer while the worker is saturated (new announces shed)" do
    expected = rmt_answer
    payloads = with_settings(shed_announces: TARGET_MS, retry_after: 9) do
      expect(keep_waiting { announce }.last).to eq(503) # saturated: the announce was shed
      expect([health.status, health.body, health.headers.except("X-Request-Id", "X-Runtime")]).to eq(expected)
    end
    expect(payloads.last[:rmt_rs_answered]).to be_nil
  end
end
