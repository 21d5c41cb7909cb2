# frozen_string_literal: true

require "parity_helper"

RSpec.describe "POST /connect/subscriptions/systems: RmtRs against RMT's Ruby path", :parity do
  def expect_parity(body, **options)
    outcomes = on_both_paths(body, **options)
    expect(outcomes[:rust]).to eq(outcomes[:ruby])
    outcomes[:ruby]
  end

  let(:connect_body) do
    # What SUSEConnect (connect-ng) sends from a cloud instance.
    {
      hostname: "ip-10-0-0-1",
      hwinfo: { hostname: "ip-10-0-0-1", cpus: 2, sockets: 1, hypervisor: "Amazon", arch: "x86_64",
                uuid: "ec2a8f6f-5e52-4e0c-8f1e-1a2b3c4d5e6f", cloud_provider: "Amazon", mem_total: 7863,
                sap: [], container_runtime: nil },
      distro_target: "sle-15-x86_64",
      instance_data: "<document>{\"instanceId\":\"i-0123\"}</document>",
      system_profiles: { pci_data: { identifier: "f00d", data: "00:00.0 Host bridge" },
                         mod_list: { identifier: "cafe", data: "ext4 xfs" } }
    }.to_json
  end

  it("announces with no body") { expect(expect_parity("")[:status]).to eq(201) }

  it "ignores the legacy payload string, as RMT's announce does" do
    expect_parity({ payload: { hostname: "legacy" }.to_json }.to_json)
  end

  it("stores a hostname only") { expect_parity({ hostname: "only" }.to_json) }

  it "stores the body SUSEConnect sends, on v3 and v4" do
    result = expect_parity(connect_body)
    expect(result[:systems].size).to eq(1)
    expect(result[:system_profiles].size).to eq(2)
    expect_parity(connect_body, accept: ParityHelpers::V3)
  end

  [
    { nested: { deep: { er: [1, { x: "y" }, [2, 3]] } } },
    { unicode: "Grüße 😀 \u2028", html: "<b>&amp;</b>" },
    { numbers_as_strings: "16384", float: 1.5, big: 10**30, small: 1.0e-7 },
    { huge: "x" * 65_536 }
  ].each do |hwinfo|
    it "stores hwinfo #{hwinfo.keys.join(', ')} the same way" do
      expect_parity({ hwinfo: hwinfo }.to_json)
    end
  end

  it "handles complete, incomplete, invalid and null-data profiles alike" do
    result = expect_parity({ system_profiles: {
      a: { identifier: "1", data: "d" }, b: { identifier: "2" }, c: { identifier: "", data: "x" },
      d: { data: "no identifier" }
    } }.to_json)
    expect(result[:profiles_action]).to eq("clear-cache")
  end

  it "refuses a new profile with null data with RMT's status, and says why where RMT does not" do
    outcomes = on_both_paths({ system_profiles: { a: { identifier: "n", data: nil } } }.to_json)
    # RMT lets ActiveRecord::RecordInvalid escape: Rails' generic 422 body.
    expect(outcomes[:ruby][:body]).to eq("status" => 422, "error" => "Unprocessable Entity")
    expect(outcomes[:rust][:body]).to eq("type" => "error", "error" => "Validation failed: Data can't be blank",
                                         "localized_error" => "Validation failed: Data can't be blank")
    expect(outcomes[:rust].except(:body)).to eq(outcomes[:ruby].except(:body))
    expect(outcomes[:rust][:status]).to eq(422)
  end

  it "refuses a 4-byte character in the hostname without writing, with a clear 422 where RMT fails with 500" do
    outcomes = on_both_paths({ hostname: "host-😀" }.to_json)
    expect(outcomes[:ruby][:status]).to eq(500) # ActiveRecord::StatementInvalid escapes in RMT
    expect(outcomes[:rust][:status]).to eq(422)
    expect(outcomes[:rust][:body]["error"]).to eq("Incorrect string value for systems.hostname")
    expect(outcomes.values.map { |o| o[:systems] }).to eq([[], []])
  end
end
