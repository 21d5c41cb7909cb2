# frozen_string_literal: true

require "spec_helper"

# The `rmt_rs:` section of RMT's settings, checked as RMT boots.
RSpec.describe RmtRs::Settings do
  it "takes the known keys with their types" do
    expect(described_class.check("enabled" => "yes", metrics: false, "pool" => 3, "deadline" => "2.5", "patience" => 45))
      .to eq("enabled" => true, "metrics" => false, "pool" => 3, "deadline" => 2.5, "patience" => 45)
    expect(described_class.check(nil)).to eq({})
  end

  it "refuses an unknown key, a bad switch, a pool that is not a whole positive number" do
    expect { described_class.check("enable" => true) }.to raise_error(described_class::Invalid, /unknown setting\(s\) enable/)
    expect { described_class.check("enabled" => "sometimes") }.to raise_error(described_class::Invalid, /enabled must be true or false/)
    expect { described_class.check("pool" => 2.5) }.to raise_error(described_class::Invalid, /pool must be a whole number/)
    expect { described_class.check("deadline" => 0) }.to raise_error(described_class::Invalid, /deadline must be a positive number/)
    expect { described_class.check("patience" => "soon") }.to raise_error(described_class::Invalid, /patience must be a positive number/)
    expect { described_class.check("on") }.to raise_error(described_class::Invalid, /must be a section/)
    expect { described_class.check("metrics" => "some") }.to raise_error(described_class::Invalid, /metrics must be true or false/)
    expect { described_class.check("health_when_saturated" => "yes") }
      .to raise_error(described_class::Invalid, /rmt_rs: health_when_saturated must be a positive number, not "yes"/)
    expect { described_class.check("health_when_saturated" => -1) }
      .to raise_error(described_class::Invalid, /rmt_rs: health_when_saturated must be a positive number/)
  end

  it "accepts the retired fast_lane whatever its value and ignores it, naming each place it is still set in one line" do
    expect(described_class.check("enabled" => true, fast_lane: true)).to eq("enabled" => true)
    expect(described_class.check("fast_lane" => "sometimes")).to eq({})
    why = "is no longer used: the fast lane was folded into the controller path (docs/fast-lane.md)"
    expect(described_class.retired({ rmt_rs: { fast_lane: true } }, env: {})).to eq(["RmtRs: rmt_rs: fast_lane #{why}"])
    expect(described_class.retired(nil, options: { fast_lane: false }, env: { "RMT_RS_FAST_LANE" => "1" }))
      .to eq(["RmtRs: config.rmt_rs.fast_lane #{why}", "RmtRs: RMT_RS_FAST_LANE #{why}"])
    expect(described_class.retired({ rmt_rs: { enabled: true } }, options: { enabled: true }, env: { "RMT_RS_FAST_LANE" => " " }))
      .to eq([])
  end

  it "takes metrics as a switch that is on unless something turns it off" do
    expect(described_class.check("metrics" => "no")).to eq("metrics" => false)
    expect(described_class.switch("metrics", env: "RMT_RS_SPEC_UNSET", initializer: nil, section: {}, default: true))
      .to eq([true, "the default"])
    expect(described_class.switch("metrics", env: "RMT_RS_SPEC_UNSET", initializer: nil, section: { "metrics" => false },
                                             default: true)).to eq([false, "RMT's settings (rmt_rs: metrics)"])
  end

  it "decides a switch by the environment, then an initializer, then the section" do
    section = { "enabled" => true }
    expect(described_class.switch("enabled", env: "RMT_RS_SPEC_UNSET", initializer: nil, section: section))
      .to eq([true, "RMT's settings (rmt_rs: enabled)"])
    expect(described_class.switch("enabled", env: "RMT_RS_SPEC_UNSET", initializer: false, section: section))
      .to eq([false, "an initializer"])
    ENV["RMT_RS_SPEC_SET"] = "off"
    expect(described_class.switch("enabled", env: "RMT_RS_SPEC_SET", initializer: true, section: section))
      .to eq([false, "the environment (RMT_RS_SPEC_SET)"])
  ensure
    ENV.delete("RMT_RS_SPEC_SET")
  end

  it "gives RmtRs the database settings with the section's pool and its seconds in milliseconds" do
    expect(described_class.database({ database: "rmt", pool: 5 }, "pool" => 2, "deadline" => 1.5, "patience" => 45,
                                                                   "shed_announces" => 5, "health_when_saturated" => 0.5))
      .to eq("database" => "rmt", "pool" => 2, "deadline" => 1500, "patience" => 45_000, "shed_announces" => 5000,
             "health_when_saturated" => 500)
    expect(described_class.check("health_when_saturated" => "1.5")).to eq("health_when_saturated" => 1.5)
  end
end
