# frozen_string_literal: true

require "spec_helper"
require "timeout"

# An interrupt (Timeout, Rack::Timeout, Thread#kill) must end a call by returning
# through the binding, never by a longjmp over its Rust frames: a jump would skip
# their destructors and leak the request, the result and a reference to the
# engine on every interrupted call.
RSpec.describe "RmtRs calls interrupted thousands of times" do
  # About 25 KB of Rust values per request, so that leaked requests show in RSS.
  HWINFO = Array.new(100) { |i| ["key#{i}", "v" * 200] }.to_h.freeze
  # Every call is interrupted long before `timeout` (2 s in the spec settings)
  # could end its wait for a connection: the table is locked.
  TIMEOUTS = [0.0005, 0.001, 0.002, 0.004].freeze

  def rss_kb
    GC.start
    File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i
  end

  def engine_references
    RmtRs::Native.__engine_strong_count
  end

  def announce
    RmtRs::Registration.announce_system(hostname: "interrupted", hwinfo: HWINFO)
  end

  # `calls` announces, each interrupted: one in ten killed (before or while it
  # waits), the rest cut by Timeout at various points. Returns how each ended.
  def interrupted_calls(calls)
    Array.new(calls) do |i|
      if (i % 10).zero?
        thread = Thread.new { announce }
        sleep(0.001 * (i / 10 % 3))
        thread.kill
        thread.join
        thread.status == false ? :killed : :survived
      else
        begin
          Timeout.timeout(TIMEOUTS[i % TIMEOUTS.size]) { announce }
          :answered
        rescue Timeout::Error
          :timed_out
        end
      end
    end.tally
  end

  it "leaves the engine's reference count and RSS flat, and writes nothing", :aggregate_failures do
    baseline = engine_references
    expect(baseline).to eq(1)
    locker = client
    locker.query("LOCK TABLES systems WRITE")
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    warm_up = interrupted_calls(500)
    rss_before = rss_kb
    outcomes = interrupted_calls(4000)
    rss_after = rss_kb
    locker.query("UNLOCK TABLES")
    locker.close

    expect(warm_up.keys - %i[killed timed_out]).to eq([])
    expect(outcomes).to eq(killed: 400, timed_out: 3600)
    expect(engine_references).to eq(baseline)
    # 4,000 leaked requests would be about 100 MB.
    expect(rss_after - rss_before).to be < 30_000, "RSS grew by #{rss_after - rss_before} KB"
    expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 60
    expect(announce.status).to eq(201)
    expect(count("systems")).to eq(1)
  end
end
