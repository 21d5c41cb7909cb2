# frozen_string_literal: true

require_relative "parity_helper"

# SUSEConnect's keepalive (`PUT /connect/systems`, connect-ng's
# RegisterOrKeepAlive / UpdateSystem): hostname, hwinfo, profiles (by
# identifier alone once sent whole) and the uptime tracker's `online_at`;
# and deregistration (`DELETE /connect/systems`: `SUSEConnect -d`,
# registercloudguest's clean-up before it registers with another server).
RSpec.describe "PUT and DELETE /connect/systems: RmtRs against RMT's Ruby path", :parity do
  HOURS = "000000000000111111111111"
  PROFILES = { "mod_list" => { identifier: "m1", data: "kernel" }, "pci_list" => { identifier: "p1", data: "8086" } }.freeze

  # Announces (with `profiles`), activates SLES with a token, then runs `steps`.
  def on_both(accept: ParityHelpers::V4, profiles: PROFILES, token: "", &steps)
    as_new_system(accept: accept, announce: { system_profiles: profiles }) do
      activate(SLES, token: token) unless token.nil?
      instance_exec(&steps)
    end
  end

  def expect_parity(**options, &steps)
    expect_same(on_both(**options, &steps))
  end

  # connect-ng's keepalive body; `token` as for `activate`.
  def keepalive(token: @token, **body)
    header "System-Token", token == :absent ? nil : token
    body = { hostname: "vm", hwinfo: { cpus: 4, arch: "x86_64", mem_total: 2048 } }.merge(body)
    put "/connect/systems", body.to_json, "CONTENT_TYPE" => "application/json"
    @token = last_response.headers["System-Token"] || @token
    last_response
  end

  ParityHelpers::ACCEPTS.each do |version, accept|
    it "updates hostname, hwinfo, profiles by identifier and uptimes, and refreshes the token (#{version})" do
      result = expect_parity(accept: accept) do
        keepalive(hostname: "vm2", online_at: ["2026-11-23:#{HOURS}", "2026-11-24:#{HOURS.tr('0', '1')}"],
                  system_profiles: PROFILES.transform_values { |p| p.except(:data) })
      end
      expect([result[:status], result[:headers]["System-Token"]]).to eq([204, "<token>"])
      expect(result[:systems].first.values_at("hostname", "system_information"))
        .to eq(["vm2", '{"cpus":4,"arch":"x86_64","user_agent":"SUSEConnect/1.14.0","mem_total":2048}'])
      expect(result[:system_uptimes].size).to eq(2)
      expect(result[:system_profiles].size).to eq(2)
    end
  end

  it "keeps a daily keepalive's rows as RMT does: the same day's hours updated, the hostname cleared when not sent" do
    result = expect_parity do
      keepalive(online_at: ["2026-11-24:#{HOURS}"])
      keepalive(online_at: ["2026-11-24:#{HOURS.tr('0', '1')}", "2026-11-25:#{HOURS}"], hostname: nil)
    end
    expect(result[:system_uptimes].map { |u| u["online_at_day"].to_s }).to eq(%w[2026-11-24 2026-11-25])
    expect(result[:systems].first["hostname"]).to be_nil
  end

  it "replaces the profiles: complete ones found or created, known incomplete ones kept, unknown ones cleared" do
    result = expect_parity do
      keepalive(system_profiles: { "mod_list" => { identifier: "m1" }, "cpu" => { identifier: "c1", data: "4" },
                                   "gpu" => { identifier: "unknown" }, "bad" => { data: "x" } })
    end
    expect(result[:headers]["X-System-Profiles-Action"]).to eq("clear-cache")
    expect(result[:system_profiles].map { |p| p["profile_type"] }).to eq(%w[mod_list cpu])
    expect(result[:profiles].map { |p| p["profile_type"] }).to eq(%w[cpu mod_list pci_list]) # the dropped link's profile stays
  end

  it "leaves the profiles alone without the key, and with only unknown ones" do
    expect_parity { keepalive }
    result = expect_parity { keepalive(system_profiles: { "gpu" => { identifier: "unknown" } }) }
    expect(result[:system_profiles].size).to eq(2)
  end

  it "logs a malformed uptime entry as RMT does and records the rest" do
    result = expect_parity { keepalive(online_at: ["2026-11-24", "2026-11-25:#{HOURS}"]) }
    expect(result[:system_uptimes].size).to eq(1)
    expect(RmtRs::Parity.logs[:ruby]).to include("Uptime data is malformed '2026-11-24'")
  end

  it "answers an old client (no System-Token) without a token, and a client with tokens disabled" do
    result = expect_parity(token: nil) { keepalive(token: :absent) }
    expect(result[:headers]).not_to include("System-Token")
    Settings.connect_api.disable_system_tokens = true
    result = expect_parity { keepalive }
    expect(result[:headers]["System-Token"]).to be_nil
  ensure
    Settings.connect_api.disable_system_tokens = false
  end

  it "registers a duplicate for a mismatching token, as authentication does for every action" do
    result = expect_parity { keepalive(token: "0f0e4bd1-6bcf-4a3a-9a3e-000000000000") }
    expect(result[:systems].size).to eq(2)
  end

  it "answers unknown credentials with 401 and no credentials with the basic challenge" do
    result = expect_parity { basic_authorize("SCC_nobody", "x") && keepalive }
    expect([result[:status], result[:body]["error"]]).to eq([401, "Invalid system credentials"])
    result = expect_parity { header("Authorization", nil) && keepalive }
    expect([result[:status], result[:headers]["WWW-Authenticate"]]).to eq([401, 'Basic realm="RMT API"'])
  end

  it "refuses an update without hwinfo whole, where RMT writes half of it and fails with 500" do
    outcomes = on_both { keepalive(hwinfo: nil, online_at: ["2026-11-24:#{HOURS}"]) }
    expect(outcomes[:ruby][:status]).to eq(500) # TypeError: no implicit conversion of nil into Hash
    expect(outcomes[:ruby][:system_uptimes].size).to eq(1)
    expect([outcomes[:rust][:status], outcomes[:rust][:body]["error"]]).to eq([422, "hwinfo is missing or not an object"])
    expect(outcomes[:rust][:system_uptimes]).to eq([])
  end

  def deregister(token: @token)
    header "System-Token", token == :absent ? nil : token
    delete "/connect/systems"
    last_response
  end

  describe "deregistration" do
    ParityHelpers::ACCEPTS.each do |version, accept|
      it "destroys the system with its activations, uptimes and links, and its orphaned profiles (#{version})" do
        result = expect_parity(accept: accept) do
          keepalive(online_at: ["2026-11-24:#{HOURS}"])
          deregister
        end
        expect([result[:status], result[:headers]["System-Token"]]).to eq([204, "<token>"])
        expect(result.values_at(:systems, :activations, :system_uptimes, :system_profiles, :profiles)).to all(eq([]))
      end
    end

    it "keeps a profile another system still links, and records a system SCC knows as deregistered" do
      result = expect_parity do
        credentials = last_request.env["HTTP_AUTHORIZATION"]
        token = @token
        post "/connect/subscriptions/systems", { hostname: "other", hwinfo: { cpus: 1 },
                                                 system_profiles: { "mod_list" => PROFILES["mod_list"] } }.to_json,
             "CONTENT_TYPE" => "application/json"
        header "Authorization", credentials
        db.query("UPDATE systems SET scc_system_id = 4242 WHERE hostname = 'vm'")
        deregister(token: token)
      end
      expect(result[:profiles].map { |p| p["profile_type"] }).to eq(%w[mod_list])
      expect(result[:deregistered_systems].map { |d| d["scc_system_id"] }).to eq([4242])
    end

    it "deregisters an old client's system, and the duplicate a mismatching token registers" do
      expect(expect_parity(token: nil) { deregister(token: :absent) }[:systems]).to eq([])
      result = expect_parity { deregister(token: "0f0e4bd1-6bcf-4a3a-9a3e-000000000000") }
      expect(result[:systems].size).to eq(1) # the original stays; its duplicate went at once
    end

    it "answers unknown credentials with 401 and no credentials with the basic challenge, destroying nothing" do
      result = expect_parity { basic_authorize("SCC_nobody", "x") && deregister }
      expect([result[:status], result[:systems].size]).to eq([401, 1])
      result = expect_parity { header("Authorization", nil) && deregister }
      expect([result[:status], result[:systems].size]).to eq([401, 1])
    end
  end

  describe "the activations list (SUSEConnect --status)" do
    def activations(token: @token)
      header "System-Token", token == :absent ? nil : token
      get "/connect/systems/activations"
      last_response
    end

    ParityHelpers::ACCEPTS.each do |version, accept|
      it "lists the activations with their subscription and service (#{version})" do
        result = expect_parity(accept: accept) do
          activate(SLES.merge(token: "SLES-REGCODE"), token: @token)
          activate(BASESYSTEM, token: @token)
          activations
        end
        expect(result[:status]).to eq(200)
        expect(result[:body].map { |a| [a["service"]["product"]["identifier"], a["regcode"], a["type"]] })
          .to eq([["SLES", "SLES-REGCODE", "full"], ["sle-module-basesystem", nil, nil]])
        expect(result[:body].first.keys).to eq(%w[id system_id service regcode name status starts_at expires_at type])
      end
    end

    it "lists none for a system without activations, and refuses unknown credentials" do
      expect(expect_parity(token: nil) { activations(token: :absent) }[:body]).to eq([])
      result = expect_parity { basic_authorize("SCC_nobody", "x") && activations }
      expect(result[:status]).to eq(401)
    end
  end
end
