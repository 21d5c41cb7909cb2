# frozen_string_literal: true

require_relative "parity_helper"

# zypper's service refresh (`GET /services/:id`, after every activation and
# on every `zypper refresh`): the repository index, byte for byte.
RSpec.describe "GET /services/:id: RmtRs against RMT's Ruby path", :parity do
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
    db.query("UPDATE repositories SET installer_updates = TRUE WHERE name = 'SLES-Source-Pool'")
    result = expect_parity { header("User-Agent", "curl/8.6.0") && header("Authorization", nil) && get("/services/#{@service}") }
    expect(result[:body].scan("<repo ").size).to eq(3)
  ensure
    db.query("UPDATE repositories SET installer_updates = FALSE WHERE name = 'SLES-Source-Pool'")
  end

  it "escapes names as RMT's Builder does" do
    db.query("UPDATE repositories SET name = 'SLES \"Pool\" & <more>\u0080\u0001' WHERE name = 'SLES-Pool'")
    result = expect_parity { get "/services/#{@service}" }
    expect(result[:body]).to include('name="SLES &quot;Pool&quot; &amp; &lt;more&gt;€�"')
  ensure
    db.query("UPDATE repositories SET name = 'SLES-Pool' WHERE name LIKE 'SLES \"Pool\"%'")
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
end
