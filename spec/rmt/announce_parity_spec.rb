# frozen_string_literal: true

require_relative "parity_helper"

RSpec.describe "POST /connect/subscriptions/systems: RmtRs against RMT's Ruby path", :parity do
  def expect_parity(body, **options)
    outcomes = on_both_paths(body, **options)
    expect(outcomes[:rust]).to eq(outcomes[:ruby])
    outcomes[:ruby]
  end

  # What SUSEConnect (connect-ng) sends from a cloud instance: hwinfo from its
  # collectors, profiles as {identifier: sha256 of the JSON data, data: lines},
  # and `"data": null` for a profile whose identifier it sent before.
  def connect_profile(lines, cached: false)
    { identifier: Digest::SHA256.hexdigest(lines.to_json), data: cached ? nil : lines }
  end

  def connect_body(cached: false)
    {
      hostname: "ip-10-0-0-1",
      hwinfo: { arch: "x86_64", hypervisor: "amazon", cloud_provider: "amazon", container_runtime: "podman",
                cpus: 2, sockets: 1, mem_total: 7863, vendor: "Amazon EC2",
                uname: "Linux ip-10-0-0-1 6.4.0-150600.23.25-default #1 SMP PREEMPT_DYNAMIC x86_64",
                hostname: "ip-10-0-0-1", uuid: "ec2a8f6f-5e52-4e0c-8f1e-1a2b3c4d5e6f",
                sap: [{ system_id: "HA0", instance_types: %w[ASCS D] }], ha_active: "2.1.7" },
      distro_target: "sle-15-x86_64",
      instance_data: "<document>{\"instanceId\":\"i-0123\",\"marketplaceProductCodes\":[\"x\"]}</document>",
      system_profiles: {
        pci_data: connect_profile(["00:00.0 Host bridge: Intel Corporation 440FX", "00:01.0 ISA bridge: \"PIIX3\""],
                                  cached: cached),
        mod_list: connect_profile(%w[af_packet ext4 nvme xfs], cached: cached)
      }
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
    expect(result[:profiles].map { |p| p["data"] }).to include('["af_packet", "ext4", "nvme", "xfs"]')
    expect_parity(connect_body, accept: ParityHelpers::V3)
  end

  it "links the profiles SUSEConnect sends as cached (data null) when they are known" do
    result = expect_parity(connect_body(cached: true), setup: connect_body)
    expect(result[:systems].size).to eq(2)
    expect(result[:system_profiles].size).to eq(4)
  end

  it "stores non-string profile data as RMT's column cast does" do
    expect_parity({ system_profiles: {
      a: { identifier: "1", data: { k: [1, "v", nil], "n" => { "x" => 2.5 } } }, b: { identifier: "2", data: 3.25 },
      c: { identifier: "3", data: true }, d: { identifier: "4", data: false }, e: { identifier: "5", data: [] },
      f: { identifier: 6, data: "numeric identifier" }, h: { identifier: true, data: "true identifier" }, g: { identifier: "7", data: "#{'#'}{x} \\ \" \t \u0001" }
    } }.to_json)
  end

  it "stores non-ASCII text in the hostname and in profile data that Ruby's inspect renders" do
    expect_parity({ hostname: "é", system_profiles: { a: { identifier: "1", data: ["é"] } } }.to_json)
  end

  [["a number", 42], ["an array", ["a", 1, nil]], ["a hash", { "a" => 1 }], ["true", true],
   ["false", false]].each do |name, hostname|
    it("stores a hostname that is #{name} as RMT's column cast does") { expect_parity({ hostname: hostname }.to_json) }
  end

  [["an array", [{ identifier: "1", data: "d" }]], ["a string", "x"], ["null", nil]].each do |name, profiles|
    it("ignores system_profiles that are #{name}, as RMT does") { expect_parity({ system_profiles: profiles }.to_json) }
  end

  it "renders RmtRs's 503 with RMT's error JSON and Retry-After when a call passes its deadline" do
    settings = ActiveRecord::Base.connection_db_config.configuration_hash
    RmtRs::Railtie.configure_from(settings.merge(deadline: 300, retry_after: 9))
    header "Accept", ParityHelpers::V4
    locker = Mysql2::Client.new(**settings.slice(:socket, :username, :password, :database))
    locker.query("LOCK TABLES systems WRITE")
    post "/connect/subscriptions/systems", { hostname: "late" }.to_json, "CONTENT_TYPE" => "application/json"
    locker.close # releases the lock
    expect([last_response.status, last_response.headers["Retry-After"], JSON.parse(last_response.body)["type"]])
      .to eq([503, "9", "error"])
    expect(count("systems")).to eq(0)
  ensure
    locker&.close unless locker&.closed?
    RmtRs::Railtie.configure_from(settings)
  end

  it "refuses a profile that is not an object with a clear 422 where RMT fails with 500" do
    [{ a: "str" }, { a: nil }, { a: [1] }].each do |profiles|
      outcomes = on_both_paths({ hostname: "h", system_profiles: profiles }.to_json)
      expect(outcomes[:ruby][:status]).to eq(500) # RMT calls [] on it: TypeError / NoMethodError
      expect(outcomes[:rust][:status]).to eq(422)
      expect(outcomes[:rust][:body]["error"]).to eq("System profile 'a' must be an object with identifier and data")
      expect(outcomes.values.map { |o| o[:systems] }).to all(eq([]))
    end
  end

  [
    { with_nulls: [nil, 1, nil], nested_arrays: [[1, 2], [3]], mixed: [{ a: nil }, "s", [4]] },
    { empty: {}, empty_list: [], false_value: false, null_value: nil }
  ].each do |hwinfo|
    it "stores hwinfo #{hwinfo.keys.join(', ')} as Rails' params leave it" do
      expect_parity({ hwinfo: hwinfo }.to_json)
    end
  end

  [["a string", "cpus=2"], ["an array", [1, 2]], ["a number", 7]].each do |name, hwinfo|
    it("stores hwinfo that is #{name} as RMT does (null)") { expect_parity({ hwinfo: hwinfo }.to_json) }
  end

  [
    { nested: { deep: { er: [1, { x: "y" }, [2, 3]] } } },
    { unicode: "Grüße \u2028 ü", html: "<b>&amp;</b>" },
    { html: "<b>&amp;</b>", escapes: "\u0000 \\ \" \#{x}" },
    { numbers_as_strings: "16384", float: 1.5, small: 1.0e-7, large: 1.0e+30, int: -(2**62) },
    { big: 10**30 },
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
    expect(result[:headers]["X-System-Profiles-Action"]).to eq("clear-cache")
  end

  it "refuses a new profile with null data with RMT's status, and says why where RMT does not" do
    outcomes = on_both_paths({ system_profiles: { a: { identifier: "n", data: nil } } }.to_json)
    # RMT lets ActiveRecord::RecordInvalid escape: Rails' generic 422 body.
    expect(outcomes[:ruby][:body]).to eq("status" => 422, "error" => "Unprocessable Entity")
    expect(outcomes[:rust][:body]).to eq("type" => "error", "error" => "Validation failed: Data can't be blank",
                                         "localized_error" => "Validation failed: Data can't be blank")
    # RMT's exception page carries none of a controller answer's headers.
    expect(outcomes[:rust].except(:body, :headers)).to eq(outcomes[:ruby].except(:body, :headers))
    expect(outcomes[:rust][:status]).to eq(422)
  end

  # Where RMT lets a database error escape (ActiveRecord::StatementInvalid or
  # ValueTooLong: a 500), RmtRs answers a clear 422; neither writes.
  {
    "a 4-byte character in the hostname" => [{ hostname: "host-😀" }, "Incorrect string value for systems.hostname"],
    "a 4-byte character in hwinfo, as RMT's utf8 connection does" =>
      [{ hostname: "h", hwinfo: { emoji: "😀" } }, "Incorrect string value for systems.system_information"],
    "a hostname longer than its column" => [{ hostname: "h" * 256 }, "Value too long for hostname"]
  }.each do |name, (body, message)|
    it "refuses #{name} without writing, with a clear 422 where RMT fails with 500" do
      outcomes = on_both_paths(body.to_json)
      expect(outcomes[:ruby][:status]).to eq(500)
      expect(outcomes[:rust].values_at(:status, :body))
        .to eq([422, { "type" => "error", "error" => message, "localized_error" => message }])
      expect(outcomes.values.map { |o| o[:systems] }).to all(eq([]))
    end
  end

  describe "what clients send beside the body" do
    # Plain RMT's announce reads neither header; SUSEConnect >= 1.20 sends both,
    # registercloudguest an empty regcode.
    ParityHelpers::ACCEPTS.each do |version, accept|
      [nil, "", "0f0e4bd1-6bcf-4a3a-9a3e-000000000000"].product([nil, "Token token="]).each do |token, authorization|
        it "announces with System-Token #{token.inspect} and Authorization #{authorization.inspect} (#{version})" do
          headers = { "System-Token" => token, "Authorization" => authorization }.compact
          result = expect_parity(connect_body, accept: accept, headers: headers)
          expect([result[:status], result[:headers]["System-Token"]]).to eq([201, nil])
        end
      end
    end

    it "announces connect-ng 1.13's body (SP6 images: no profiles, no vendor)" do
      body = { hostname: "sp6", distro_target: "sle-15-x86_64",
               hwinfo: { arch: "x86_64", cpus: 4, sockets: 1, hypervisor: "KVM", mem_total: 15_990, uuid: "4c4c4544" } }
      expect(expect_parity(body.to_json, headers: { "User-Agent" => "SUSEConnect-ng/1.13.0" })[:status]).to eq(201)
    end
  end

  it "refuses hwinfo over RmtRs's size limits with RMT's error JSON and 422, writing nothing, where RMT stores it" do
    keys = RmtRs::Native::MAX_ENTRIES + 1
    outcomes = on_both_paths({ hostname: "h", hwinfo: Array.new(keys) { |i| ["k#{i}", i] }.to_h }.to_json)
    expect(outcomes[:ruby][:status]).to eq(201)
    message = "hwinfo is too large: more than #{RmtRs::Native::MAX_ENTRIES} keys and array items"
    expect(outcomes[:rust].values_at(:status, :body, :systems))
      .to eq([422, { "type" => "error", "error" => message, "localized_error" => message }, []])
  end
end
