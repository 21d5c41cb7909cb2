# frozen_string_literal: true

require "spec_helper"

# The seam between Ruby and the binding: a Caller crosses by member name, and
# what the binding answers comes back as named records (RmtRs::Seam).
RSpec.describe RmtRs::Caller do
  it "never shows the password or the system token" do
    caller = described_class.new(login: "SCC_x", password: "secret-pw", system_token: "secret-token")
    expect([caller.inspect, caller.to_s].join).not_to include("secret")
  end

  it "is read by the binding by name: a list in its place is refused before anything runs" do
    expect { RmtRs::Native.deregister(["SCC_x", "p", nil, nil, false], nil) }
      .to raise_error(TypeError, /expected a Struct or a Hash with cloud, not Array/)
  end

  it "authenticates through the binding and comes back as a Response" do
    answer = RmtRs::Systems.deregister(caller: described_class.new(login: "SCC_unknown", password: "p"))
    expect(answer).to be_a(RmtRs::Response)
    expect(answer.status).to eq(401)
  end
end
