# frozen_string_literal: true

require_relative "parity_helper"

# zypper's service refresh (`GET /services/:id`, after every activation and
# on every `zypper refresh`): the repository index, byte for byte; and SMT's
# legacy single service (`GET /repo/repoindex.xml`).
RSpec.describe "GET /services/:id and /repo/repoindex.xml: RmtRs against RMT's Ruby path", :parity do
  ZYPPER = "ZYpp 17.31.15 (curl 8.6.0) SLES-15.6-x86_64"

  # Announces and activates SLES, then runs `steps` (zypper's refreshes).
  def on_both(&steps)
    RmtRs::Parity.on_both_paths do
      %w[Authorization System-Token].each { |name| header name, nil }
      header "Accept", ParityHelpers::V4
      header "User-Agent", "SUSEConnect/1.14.0"
      post "/connect/subscriptions/systems", { hostname: "vm", hwinfo: { cpus: 2 } }.to_json, "CONTENT_TYPE" => "application/json"
      @credentials = JSON.parse(last_response.body)
      basic_authorize @credentials["login"], @credentials["password"]
      activate(SLES, token: "")
      @service = JSON.parse(last_response.body)["id"]
      header "System-Token", nil
      header "User-Agent", ZYPPER
      instance_exec(&steps)
      last_response
    end
  end

  # Runs the block with the seeded catalog changed by `change`, put back by `restore`.
  def with_catalog(change, restore)
    db.query(change)
    yield
  ensure
    db.query(restore)
  end

  def expect_parity(&steps)
    outcomes = on_both(&steps)
    expect(outcomes[:rust]).to eq(outcomes[:ruby])
    expect(RmtRs::Parity.logs[:rust]).to eq(RmtRs::Parity.logs[:ruby])
    outcomes[:ruby]
  end

  it "answers zypper's refresh with the index, recording that the system was seen" do
    result = expect_parity { get "/services/#{@service}" }
    expect(result[:status]).to eq(200)
    expect(result[:headers]["Content-Type"]).to eq("application/xml; charset=utf-8")
    expect(result[:body]).to start_with('<repoindex ttl="86400"><repo url="http://example.org/repo/SUSE/Updates/SLES/15.6/x86_64/Pool/" alias="SLES-Pool" name="SLES-Pool" autorefresh="false" enabled="true"/>')
    expect(result[:body].scan("<repo ").size).to eq(4)
  end

  it "answers other clients without looking at credentials, and the installer updates left out" do
    with_catalog("UPDATE repositories SET installer_updates = TRUE WHERE name = 'SLES-Source-Pool'",
                 "UPDATE repositories SET installer_updates = FALSE WHERE name = 'SLES-Source-Pool'") do
      result = expect_parity { header("User-Agent", "curl/8.6.0") && header("Authorization", nil) && get("/services/#{@service}") }
      expect(result[:body].scan("<repo ").size).to eq(3)
    end
  end

  it "escapes names as RMT's Builder does" do
    with_catalog("UPDATE repositories SET name = 'SLES \"Pool\" & <more>\u0080\u0001' WHERE name = 'SLES-Pool'",
                 "UPDATE repositories SET name = 'SLES-Pool' WHERE name LIKE 'SLES \"Pool\"%'") do
      result = expect_parity { get "/services/#{@service}" }
      expect(result[:body]).to include('name="SLES &quot;Pool&quot; &amp; &lt;more&gt;€�"')
    end
  end

  it "answers an unknown service with RMT's 404 XML, ids cast as Ruby casts them" do
    expect(expect_parity { get "/services/999999" }[:status]).to eq(404)
    expect(expect_parity { get "/services/abc" }[:status]).to eq(404)
    expect(expect_parity { get "/services/#{@service}abc" }[:status]).to eq(200)
    expect(expect_parity { get "/services/99999999999999999999999" }[:status]).to eq(404)
  end

  it "asks zypper for credentials, refuses unknown ones, and writes nothing for duplicated systems" do
    result = expect_parity { header("Authorization", nil) && get("/services/#{@service}") }
    expect([result[:status], result[:headers]["WWW-Authenticate"]]).to eq([401, 'Basic realm="RMT API"'])
    result = expect_parity { basic_authorize("SCC_nobody", "x") && get("/services/#{@service}") }
    expect([result[:status], result[:body]["error"]]).to eq([401, "Invalid system credentials"])
    result = expect_parity do
      header "User-Agent", "SUSEConnect/1.14.0"
      activate(SLES, token: "0f0e4bd1-6bcf-4a3a-9a3e-000000000000") # a duplicate of the system
      header "User-Agent", ZYPPER
      get "/services/#{@service}"
    end
    expect([result[:status], result[:systems].size]).to eq([200, 2])
  end

  describe "the legacy service" do
    it "lists the system's mirrored repositories with SMT's service name, also behind another host and port" do
      with_catalog("UPDATE repositories SET mirroring_enabled = FALSE WHERE name = 'SLES-Source-Pool'",
                   "UPDATE repositories SET mirroring_enabled = TRUE WHERE name = 'SLES-Source-Pool'") do
        legacy_index_parity
      end
    end

    def legacy_index_parity
      result = expect_parity do
        header "User-Agent", "SUSEConnect/1.14.0"
        activate(BASESYSTEM, token: @token)
        header "User-Agent", ZYPPER
        header "System-Token", nil
        get "/repo/repoindex.xml"
      end
      expect(result[:status]).to eq(200)
      expect(result[:body]).to start_with('<repoindex><repo url="http://example.org/repo/SUSE/Updates/SLES/15.6/x86_64/Pool/?credentials=SMT-http_example_org"')
      result = expect_parity { get "https://rmt.example.com:8443/repo/repoindex.xml" }
      expect(result[:body]).to include("?credentials=SMT-http_rmt_example_com:8443")
    end

    it "answers a client that sends System-Token, where RMT fails with 500 (its services controller lacks the header's helper)" do
      outcomes = on_both { header("System-Token", @token) && get("/repo/repoindex.xml") }
      expect(outcomes[:ruby][:status]).to eq(500) # NameError: system_token_header
      expect([outcomes[:rust][:status], outcomes[:rust][:headers]["System-Token"]]).to eq([200, "<token>"])
      expect(outcomes[:rust][:body]).to start_with("<repoindex><repo ")
    end

    it "asks for credentials and refuses unknown ones" do
      result = expect_parity { header("Authorization", nil) && get("/repo/repoindex.xml") }
      expect([result[:status], result[:headers]["WWW-Authenticate"]]).to eq([401, 'Basic realm="RMT API"'])
      result = expect_parity { basic_authorize("SCC_nobody", "x") && get("/repo/repoindex.xml") }
      expect([result[:status], result[:body]["error"]]).to eq([401, "Invalid system credentials"])
    end
  end
end
