# frozen_string_literal: true

require_relative "../parity_helper"
require_relative "payg_helper"

abort "The public-cloud parity specs need RMT's engines: RMT_LOAD_ENGINES=1 script/rmt spec ..." unless defined?(SccProxy::Engine)

# The PAYG flow as registercloudguest drives it, through RMT with its
# public-cloud engines and RMT's example provider, on RMT's Ruby path and with
# RmtRs: announce with the instance data and an empty `Authorization: Token
# token=` header, activations (basic credentials, System-Token, X-Instance-Data)
# and the product tree. Rows, answers, the engines' cache files and
# registration sharing's notes must be the same on both paths.
RSpec.describe "The public-cloud PAYG flow: RmtRs against RMT with its engines", :parity do
  include PaygParityHelpers

  let(:sharing_dir) { Dir.mktmpdir("regsharing") }

  before do
    # RmtRs answers these requests itself (no fallback to RMT's path).
    %w[activate show].each do |action|
      expect(RmtRs::Ownership.handler(Api::Connect::V4::Systems::ProductsController, action)).to eq([:"rmt_rs_#{action}", :pubcloud])
    end
    # What data_export's handler (RMT's example one) is handed, per path.
    @exported = []
    allow_any_instance_of(DataExport::Handlers::Example).to receive(:export_rmt_data) do |handler|
      @exported << handler.instance_variable_get(:@params)[:dw_product_name]
    end
    # The example provider finds no instance identifier; a cloud's provider
    # finds the instance id in the instance data, as this one does.
    allow_any_instance_of(InstanceVerification::Providers::Example).to receive(:instance_identifier) do |provider|
      provider.instance_variable_get(:@instance_data).to_s[/i-\h+/]
    end
  end

  after { FileUtils.rm_rf(sharing_dir) }

  describe "announce" do
    it "registers the instance under its instance identifier, with its instance data, as PAYG" do
      result = expect_parity
      expect(result[:status]).to eq(201)
      expect(result[:body]["login"]).to eq("i-0a1b2c3d")
      expect(result[:systems].first).to include("login" => "i-0a1b2c3d", "system_token" => "i-0a1b2c3d",
                                                "instance_data" => INSTANCE_DATA, "proxy_byos_mode" => 1)
    end

    it "registers a provider's instance without identifier under a drawn login" do
      result = expect_parity(instance_data: "<document>no id</document>")
      expect(result[:systems].first).to include("login" => "<login>", "system_token" => nil, "proxy_byos_mode" => 1)
    end

    it "registers an instance announced again as another system with the same login" do
      result = expect_parity { announce(INSTANCE_DATA) }
      expect(result[:systems].map { |s| s["login"] }).to eq(%w[i-0a1b2c3d i-0a1b2c3d])
    end

    it "answers the provider's refusal as scc_proxy does, writing nothing" do
      allow_any_instance_of(InstanceVerification::Providers::Example).to receive(:instance_identifier)
        .and_raise(InstanceVerification::Exception, "Malformed instance data")
      result = expect_parity
      expect(result[:status]).to eq(422)
      expect(result[:body]).to eq("type" => "error", "error" => "Malformed instance data")
      expect(result[:systems]).to be_empty
    end

    it "sends a BYOS announce (a registration code) to SCC on both paths" do
      stub_request(:post, "https://scc.suse.com/connect/subscriptions/systems")
        .to_return(status: 201, body: { id: 4711, login: "SCC_byos", password: "byos-password" }.to_json)
      # scc_proxy sends a BYOS announce to SCC: RMT's path answers it.
      byos = RmtRs::Parity.on_both_paths(rmt_answers: %w[announce_system]) do
        header "Accept", ParityHelpers::V4
        announce(INSTANCE_DATA, regcode: "BYOS-REGCODE")
        last_response
      end
      expect(byos[:rust]).to eq(byos[:ruby])
      expect(byos[:ruby][:status]).to eq(201)
      expect(byos[:ruby][:systems].first).to include("proxy_byos_mode" => 2, "scc_system_id" => 4711)
    end
  end

  describe "activation" do
    it "activates the base product and the recommended modules with susecloud URLs and cache files" do
      result = expect_parity do
        activate(SLES, token: "")
        activate(BASESYSTEM, token: @token)
      end
      expect(result[:status]).to eq(201)
      expect(result[:body]["url"]).to start_with("plugin:/susecloud?credentials=Basesystem_Module_x86_64&path=/services/")
      expect(result[:body]["product"]["repositories"].map { |r| r["url"] }).to all(start_with("plugin:/susecloud?"))
      expect(result[:activations].size).to eq(2)
      expect(result[:files][:caches][:repo_payg_cache_dir]).to eq(["127.0.0.1-i-0a1b2c3d-2600"])
      expect(result[:files][:exported]).to eq(["SUSE Linux Enterprise Server", "Basesystem Module"])
    end

    it "activates for clients without System-Token" do
      result = expect_parity { activate(SLES) }
      expect(result[:headers]["System-Token"]).to be_nil
    end

    it "activates a non-free extension the instance's subscription covers" do
      result = expect_parity do
        activate(SLES)
        activate(HA)
      end
      expect(result[:status]).to eq(201)
      expect(result[:files][:caches][:repo_payg_cache_dir].size).to eq(2)
    end

    it "refuses a base product the instance is not for, as instance verification does" do
      result = expect_parity { activate(SLED) }
      expect(result[:status]).to eq(422)
      expect(result[:body]["error"]).to eq("Instance verification failed: Product/instance type mismatch")
      expect(result[:activations]).to be_empty
    end

    it "refuses a non-free extension without a subscription for it" do
      ActiveRecord::Base.connection.execute("DELETE FROM subscription_product_classes WHERE product_class = 'SLE-HAE-X86'")
      result = expect_parity { activate(SLES) && activate(HA) }
      expect(result[:status]).to eq(422)
      expect(result[:body]["error"]).to eq("Instance verification failed: The product is not available for this instance")
    end

    it "refuses what the provider does not allow on this instance (403)" do
      allow_any_instance_of(InstanceVerification::Providers::Example).to receive(:allowed_extension?).and_return(false)
      result = expect_parity { activate(SLES) }
      expect(result[:status]).to eq(403)
      expect(result[:activations]).to be_empty
    end

    it "refuses before the engines' checks as RMT does: unknown credentials, missing base product" do
      result = expect_parity { activate(BASESYSTEM) }
      expect(result[:status]).to eq(422)
      result = expect_parity do
        basic_authorize "i-0a1b2c3d", "wrong"
        activate(SLES)
      end
      expect(result[:status]).to eq(401)
    end

    it "stores a registration code sent by a PAYG instance" do
      result = expect_parity { activate(SLES.merge(token: "SOME-CODE")) }
      expect(result[:systems].first["pubcloud_reg_code"]).to eq(Base64.strict_encode64("SOME-CODE"))
    end

    it "gives a system without token its instance identifier when it authenticates" do
      result = expect_parity do
        ActiveRecord::Base.connection.execute("UPDATE systems SET system_token = NULL")
        activate(SLES, token: "")
      end
      expect(result[:status]).to eq(201)
      expect(result[:systems].first["system_token"]).to eq("<token>")
    end

    it "tells registration sharing's peers about the system and its activations" do
      share_with_peer
      result = expect_parity do
        FileUtils.rm_rf(Dir.glob("#{sharing_dir}/*")) # the announce's note
        activate(SLES, token: "")
      end
      expect(result[:files][:shared]).to eq(["/peer.example.org", "/peer.example.org/i-0a1b2c3d"])
    end

    it "synchronizes the instance's products and tells the peers about the activation it removed" do
      share_with_peer
      expect(RmtRs::Ownership.handler(Api::Connect::V4::Systems::ProductsController, "synchronize"))
        .to eq([:rmt_rs_synchronize, :pubcloud])
      result = expect_parity do
        activate(SLES, token: "")
        activate(BASESYSTEM, token: @token)
        FileUtils.rm_rf(Dir.glob("#{sharing_dir}/*"))
        header "System-Token", @token
        post "/connect/systems/products/synchronize", { products: [SLES] }.to_json, "CONTENT_TYPE" => "application/json"
      end
      expect([result[:status], result[:activations].size]).to eq([200, 1])
      expect(result[:files][:shared]).to eq(["/peer.example.org", "/peer.example.org/i-0a1b2c3d"])
    end
  end

  describe "keepalive" do
    # SUSEConnect's keepalive (registercloudguest sends one before each module).
    def keepalive(token:)
      header "System-Token", token
      put "/connect/systems", { hostname: "ip-10-0-0-2", hwinfo: HWINFO.merge(cpus: 4),
                                online_at: ["2026-11-24:000000000000111111111111"],
                                system_profiles: { mod_list: { identifier: "m1", data: "kernel" } } }.to_json,
          "CONTENT_TYPE" => "application/json"
    end

    it "updates the instance, authenticated as scc_proxy authenticates, and hands its products to data export" do
      expect(RmtRs::Ownership.handler(Api::Connect::V3::Systems::SystemsController, "update"))
        .to eq([:rmt_rs_update, :pubcloud])
      result = expect_parity_answered("Api::Connect::V4::Systems::SystemsController#update") do
        activate(SLES, token: "")
        # Data export takes a system seen over 90 s after its registration.
        ActiveRecord::Base.connection.execute("UPDATE systems SET registered_at = '2026-01-01 00:00:00'")
        keepalive(token: @token)
      end
      expect([result[:status], result[:systems].first["hostname"], result[:files][:exported]])
        .to eq([204, "ip-10-0-0-2", ["SUSE Linux Enterprise Server", "SLES/15.6/x86_64"]]) # activation, update
    end

    it "gives a system without token its instance identifier" do
      result = expect_parity do
        activate(SLES, token: "")
        ActiveRecord::Base.connection.execute("UPDATE systems SET system_token = NULL")
        keepalive(token: nil)
      end
      expect([result[:status], result[:systems].first["system_token"]]).to eq([204, "i-0a1b2c3d"])
    end

    it "refuses unknown credentials and an update RMT cannot store as RMT does" do
      result = expect_parity do
        basic_authorize "SCC_unknown", "nope"
        keepalive(token: "")
      end
      expect(result[:status]).to eq(401)
    end
  end

  describe "upgrade" do
    SLES_15_5 = SLES.merge(version: "15.5")

    # A migration's step: SUSEConnect's `PUT /connect/systems/products`.
    def upgrade(product, token:)
      header "System-Token", token
      put "/connect/systems/products", product.to_json, "CONTENT_TYPE" => "application/json"
      @token = last_response.headers["System-Token"]
      last_response
    end

    it "replaces the predecessor's activation once the instance's subscription covers the target" do
      expect(RmtRs::Ownership.handler(Api::Connect::V4::Systems::ProductsController, "upgrade"))
        .to eq([:rmt_rs_upgrade, :pubcloud])
      share_with_peer
      result = expect_parity_answered("Api::Connect::V4::Systems::ProductsController#upgrade") do
        activate(SLES_15_5, token: "")
        FileUtils.rm_rf(Dir.glob("#{sharing_dir}/*"))
        upgrade(SLES, token: @token)
      end
      expect([result[:status], result[:activations].map { |a| a["service_id"] }]).to eq([201, [2600]])
      expect(result[:body]).to include("obsoleted_service_name" => "SUSE_Linux_Enterprise_Server_x86_64")
      expect(result[:body]["url"]).to start_with("plugin:/susecloud?")
      expect(result[:files][:shared]).to eq(["/peer.example.org", "/peer.example.org/i-0a1b2c3d"])
    end

    it "refuses a target the instance's subscription does not cover, and what an activation refuses" do
      result = expect_parity do
        activate(SLES_15_5, token: "")
        upgrade(SLES.merge(identifier: "SLED"), token: @token)
        @answers << [last_response.status, JSON.parse(last_response.body)["error"]]
        upgrade(SLES.merge(version: "99"), token: @token)
      end
      expect([result[:status], result[:body]["error"], result[:activations].map { |a| a["service_id"] }])
        .to eq([422, "No product found", [2500]])
      expect(result[:files][:answers]).to eq([[422, "Migration target not allowed on this instance type"]])
    end

    it "upgrades a BYOS instance on SCC first, and keeps its activation when SCC refuses" do
      scc = stub_request(:put, "https://scc.suse.com/connect/systems/products")
            .to_return({ status: 201, body: "{}" }, { status: 201, body: "{}" },
                       { status: 422, body: "No such product" }, { status: 422, body: "No such product" })
      [[201, [2600]], [422, [2500]]].each do |status, left|
        result = expect_parity do
          activate(SLES_15_5, token: "")
          ActiveRecord::Base.connection.execute("UPDATE systems SET proxy_byos_mode = 2")
          upgrade(SLES, token: @token)
        end
        expect([result[:status], result[:activations].map { |a| a["service_id"] }]).to eq([status, left])
      end
      expect(scc).to have_been_made.times(4)
    end
  end

  describe "deregistration" do
    # registercloudguest's failover and cleanup: `DELETE /connect/systems`.
    def deregister(token:)
      header "System-Token", token
      delete "/connect/systems"
    end

    it "drops the registry's cache entry, destroys the instance and tells the peers" do
      expect(RmtRs::Ownership.handler(Api::Connect::V3::Systems::SystemsController, "deregister"))
        .to eq([:rmt_rs_deregister, :pubcloud])
      share_with_peer
      result = expect_parity_answered("Api::Connect::V4::Systems::SystemsController#deregister") do
        service_id = JSON.parse(activate(SLES, token: "").body)["id"]
        activate(BASESYSTEM, token: @token)
        # zypper's refresh: zypper_auth notes the instance for the registry.
        header "User-Agent", "ZYpp 17.31.15 (curl 8.6.0) SUSE-Linux-Enterprise-Server-15.6-x86_64"
        get "/services/#{service_id}"
        @answers << cache_files[:registry_cache_dir]
        FileUtils.rm_rf(Dir.glob("#{sharing_dir}/*"))
        header "User-Agent", "SUSEConnect/1.14.0"
        deregister(token: @token)
      end
      expect([result[:status], result[:systems], result[:activations]]).to eq([204, [], []])
      expect(result[:files][:answers]).to eq([%w[127.0.0.1-i-0a1b2c3d 127.0.0.1-i-0a1b2c3d-2600]])
      expect(result[:files][:caches][:registry_cache_dir]).to eq(%w[127.0.0.1-i-0a1b2c3d-2600])
      expect(result[:files][:shared]).to eq(["/peer.example.org", "/peer.example.org/i-0a1b2c3d"])
    end

    it "deregisters a hybrid instance from SCC first, and keeps it when SCC refuses" do
      scc = stub_request(:delete, "https://scc.suse.com/connect/systems")
            .to_return({ status: 204 }, { status: 204 },
                       { status: 422, body: { error: "System not found" }.to_json },
                       { status: 422, body: { error: "System not found" }.to_json })
      [[204, []], [422, [3]]].each do |status, left|
        result = expect_parity do
          activate(SLES, token: "")
          ActiveRecord::Base.connection.execute("UPDATE systems SET proxy_byos_mode = 3, scc_system_id = 4711")
          deregister(token: @token)
        end
        expect([result[:status], result[:systems].map { |system| system["proxy_byos_mode"] }]).to eq([status, left])
        expect(result[:body]).to include("error" => "System not found") if status == 422
      end
      expect(scc).to have_been_made.times(4)
    end

    it "refuses unknown credentials as scc_proxy does" do
      result = expect_parity do
        basic_authorize "i-0a1b2c3d", "wrong"
        deregister(token: "")
      end
      expect([result[:status], result[:systems].size]).to eq([401, 1])
    end
  end

  describe "deactivation" do
    # `SUSEConnect -d -p <extension>` (API v4).
    def deactivate(product, token:)
      header "System-Token", token
      delete "/connect/systems/products", product.to_json, "CONTENT_TYPE" => "application/json"
      @token = last_response.headers["System-Token"]
      last_response
    end

    it "deactivates an extension of a PAYG instance and tells the peers" do
      expect(RmtRs::Ownership.handler(Api::Connect::V4::Systems::ProductsController, "destroy"))
        .to eq([:rmt_rs_deactivate, :pubcloud])
      share_with_peer
      result = expect_parity_answered("Api::Connect::V4::Systems::ProductsController#destroy") do
        activate(SLES, token: "")
        activate(HA, token: @token)
        FileUtils.rm_rf(Dir.glob("#{sharing_dir}/*"))
        deactivate(HA, token: @token)
      end
      expect([result[:status], result[:activations].size]).to eq([200, 1])
      expect(result[:body]["url"]).to start_with("plugin:/susecloud?")
      expect(result[:files][:shared]).to eq(["/peer.example.org", "/peer.example.org/i-0a1b2c3d"])
    end

    it "deactivates a BYOS system's extension on SCC first, and keeps it when SCC refuses" do
      refused = { status: 422, body: { error: "No such activation" }.to_json }
      scc = stub_request(:delete, "https://scc.suse.com/connect/systems/products")
            .to_return({ status: 200, body: "{}" }, { status: 200, body: "{}" }, refused, refused)
      [[200, 1], [422, 2]].each do |status, left|
        result = expect_parity do
          activate(SLES, token: "")
          activate(HA, token: @token)
          ActiveRecord::Base.connection.execute("UPDATE systems SET proxy_byos_mode = 2")
          deactivate(HA, token: @token)
        end
        expect([result[:status], result[:activations].size]).to eq([status, left])
        expect(result[:body]).to include("error" => "No such activation") if status == 422
      end
      expect(scc).to have_been_made.times(4)
    end

    it "gives a system without token its instance identifier" do
      result = expect_parity do
        activate(SLES, token: "")
        activate(HA, token: @token)
        ActiveRecord::Base.connection.execute("UPDATE systems SET system_token = NULL")
        deactivate(HA, token: nil)
      end
      expect([result[:status], result[:systems].first["system_token"]]).to eq([200, "i-0a1b2c3d"])
    end

    it "refuses as RMT does: a base product, one not activated, an unknown one" do
      result = expect_parity do
        activate(SLES, token: "")
        [SLES, BASESYSTEM].each do |product|
          deactivate(product, token: @token)
          @answers << [last_response.status, JSON.parse(last_response.body)["error"]]
        end
        deactivate(SLES.merge(identifier: "nope"), token: @token)
      end
      expect(result[:status]).to eq(422)
      expect(result[:files][:answers])
        .to eq([[422, 'The product "SUSE Linux Enterprise Server" is a base product and cannot be deactivated'],
                [422, "Basesystem Module is not yet activated on the system."]])
    end
  end

  describe "service refresh" do
    # zypper's refresh of the service an activation added, through the
    # susecloud plugin (basic credentials, X-Instance-Data, no System-Token).
    def refresh(service_id)
      header "User-Agent", "ZYpp 17.31.15 (curl 8.6.0) SUSE-Linux-Enterprise-Server-15.6-x86_64"
      get "/services/#{service_id}"
    end

    # The activation wrote the instance's entry in zypper_auth's cache: RmtRs
    # finds the hit without RMT's query for the base product.
    it "answers the index with susecloud URLs once zypper_auth verified the instance" do
      expect(RmtRs::Ownership.handler(ServicesController, "show")).to eq([:rmt_rs_service, :pubcloud])
      queries = {}
      result = expect_parity_answered("ServicesController#show") do |path|
        service = JSON.parse(activate(SLES, token: "").body)["id"]
        queries[path] = base_product_queries { refresh(service) }
      end
      expect(queries).to eq(ruby: 1, rust: 0)
      expect(result[:status]).to eq(200)
      expect(result[:body]).to include("plugin:/susecloud?credentials=SUSE_Linux_Enterprise_Server_x86_64&amp;path=/repo/")
    end

    it "answers SMT's legacy index with susecloud URLs once zypper_auth verified the instance" do
      expect(RmtRs::Ownership.handler(ServicesController, "legacy_service")).to eq([:rmt_rs_legacy_service, :pubcloud])
      result = expect_parity_answered("ServicesController#legacy_service") do
        activate(SLES, token: "")
        header "X-Instance-Data", nil
        get "/repo/repoindex.xml"
        @answers << [last_response.status, last_response.body[/\A[^>]*/]]
        header "X-Instance-Data", Base64.strict_encode64(INSTANCE_DATA)
        header "User-Agent", "ZYpp 17.31.15 (curl 8.6.0) SUSE-Linux-Enterprise-Server-15.6-x86_64"
        get "/repo/repoindex.xml"
      end
      expect(result[:status]).to eq(200)
      expect(result[:body]).to include('url="plugin:/susecloud?credentials=SMT-http_example_org&amp;path=/repo/')
      expect(result[:files][:answers]).to eq([[403, '<?xml version="1.0" encoding="UTF-8"?']])
    end

    it "refuses as the engines do: no instance data, a service not activated, unknown credentials" do
      result = expect_parity do
        service_id = JSON.parse(activate(SLES, token: "").body)["id"]
        header "X-Instance-Data", nil
        [service_id, "again"].each do |step|
          header "X-Instance-Data", Base64.strict_encode64(INSTANCE_DATA) if step == "again"
          [step == "again" ? service_id + 1_000 : service_id, "nope"].each do |id|
            refresh(id)
            @answers << [last_response.status, last_response.content_type, last_response.body]
          end
        end
        basic_authorize "i-0a1b2c3d", "wrong"
        refresh(service_id)
      end
      expect(result[:status]).to eq(401)
      expect(result[:files][:answers].map { |status, type, body| [status, type.to_s[/\w+\/\w+/], body[/\A[^<\n]{0,40}/]] })
        .to eq([[403, "application/xml", ""], [403, "text/plain", "Product is not registered"],
                [403, "text/plain", "Product is not registered"], [403, "text/plain", "Product is not registered"]])
    end
  end

  describe "nginx's auth check" do
    # nginx asks `/api/auth/check` before each file of the mirror it serves
    # (rmt-server-pubcloud's auth-handler.conf), with the client's credentials
    # and instance data.
    def auth_check(uri)
      header "X-Original-URI", uri
      get "/api/auth/check"
      [last_response.status, last_response.content_type]
    end

    # RMT's head answers take the type the client accepts (SUSEConnect's JSON here).
    JSON_TYPE = "application/json"

    def repomd(identifier)
      "/repo#{Product.find_by(identifier: identifier).repositories.first.local_path}/repodata/repomd.xml"
    end

    it "allows the instance's repositories once zypper_auth verified the instance, and nothing else" do
      expect(RmtRs::Ownership.handler(StrictAuthentication::AuthenticationController, "check"))
        .to eq([:rmt_rs_auth_check, :pubcloud])
      result = expect_parity_answered("StrictAuthentication::AuthenticationController#check") do
        activate(SLES, token: "")
        clear_caches
        @answers << auth_check(repomd("SLES")) << cache_files[:registry_cache_dir]
        @answers << auth_check(repomd("sle-ha")) << auth_check("/repo/SUSE/product.license/x") << auth_check("")
        header "X-Instance-Data", nil
        @answers << auth_check(repomd("SLES"))
        basic_authorize "i-0a1b2c3d", "wrong"
        auth_check(repomd("SLES"))
      end
      expect(result[:status]).to eq(401)
      expect(result[:files][:answers])
        .to eq([[200, JSON_TYPE], %w[127.0.0.1-i-0a1b2c3d-2600], [403, JSON_TYPE], [200, JSON_TYPE], [403, JSON_TYPE],
                [403, JSON_TYPE]])
    end

    # The common case: the instance's entry in zypper_auth's cache. RmtRs's
    # core finds it (no query of RMT's for the base product) and only the hit
    # branch runs in Ruby; an entry marked inactive, or another instance's
    # entry, is RMT's whole verification on both paths.
    it "takes zypper_auth's cache hit as RMT does, without RMT's query for the base product" do
      queries = {}
      result = expect_parity_answered("StrictAuthentication::AuthenticationController#check") do |path|
        activate(SLES, token: "")
        queries[path] = base_product_queries { @answers << auth_check(repomd("SLES")) << cache_files }
        payg = Rails.application.config.repo_payg_cache_dir
        entry = Dir.children(payg).first
        # Marked inactive (zypper_auth's mark): no hit, the provider asked.
        File.rename(File.join(payg, entry), File.join(payg, "#{entry}-inactive"))
        @answers << auth_check(repomd("SLES")) << cache_files
        # Another instance's entry whose name holds this one's key: RMT's
        # `include?` finds it, and so does RmtRs.
        clear_caches
        FileUtils.mkdir_p(payg)
        FileUtils.touch(File.join(payg, "#{entry}0"))
        @answers << auth_check(repomd("SLES")) << cache_files
        auth_check(repomd("SLES"))
      end
      expect(result[:status]).to eq(200)
      expect(result[:files][:answers][0, 2])
        .to eq([[200, JSON_TYPE], { repo_payg_cache_dir: %w[127.0.0.1-i-0a1b2c3d-2600], repo_byos_cache_dir: [],
                                    repo_hybrid_cache_dir: [],
                                    registry_cache_dir: %w[127.0.0.1-i-0a1b2c3d 127.0.0.1-i-0a1b2c3d-2600] }])
      expect(result[:files][:answers][3][:repo_payg_cache_dir])
        .to eq(%w[127.0.0.1-i-0a1b2c3d-2600 127.0.0.1-i-0a1b2c3d-2600-inactive])
      expect(queries).to eq(ruby: 1, rust: 0)
    end

    it "asks SCC about a BYOS instance's paid extension, as the engines do" do
      stub_request(:get, %r{https://scc.suse.com/connect/systems/activations})
        .to_return(status: 200, body: [].to_json)
      result = expect_parity_answered("StrictAuthentication::AuthenticationController#check") do
        activate(SLES, token: "")
        activate(HA, token: @token)
        ActiveRecord::Base.connection.execute("UPDATE systems SET proxy_byos_mode = 2")
        @answers << auth_check(repomd("SLES"))
        auth_check(repomd("sle-ha"))
      end
      expect(result[:status]).to eq(403)
      expect(result[:files][:answers]).to eq([[403, JSON_TYPE]])
    end
  end

  describe "product tree" do
    it "offers the instance's migrations, authenticated as scc_proxy authenticates" do
      Catalog.insert_product(db, 2700, "SLES", "SUSE Linux Enterprise Server", "base", "7261", false, "15 SP7",
                             { version: "15.7" })
      db.query("INSERT INTO product_predecessors (product_id, predecessor_id, kind) VALUES (2700, 2600, 0)")
      expect(RmtRs::Ownership.handler(Api::Connect::V4::Systems::ProductsController, "migrations"))
        .to eq([:rmt_rs_migrations, :pubcloud])
      result = expect_parity do
        activate(SLES)
        post "/connect/systems/products/migrations", { installed_products: [SLES] }.to_json,
             "CONTENT_TYPE" => "application/json"
      end
      expect([result[:status], result[:body].map { |path| path.map { |p| p["version"] } }]).to eq([200, [["15.7"]]])
    end

    it "lists the instance's activations with susecloud URLs, verifying the instance when it sends its data" do
      result = expect_parity_answered("Api::Connect::V4::Systems::ActivationsController#index") do
        activate(SLES)
        header "X-Instance-Data", nil # SUSEConnect --status sends none
        get "/connect/systems/activations"
      end
      expect(result[:status]).to eq(200)
      expect(result[:body].first["service"]["url"]).to start_with("plugin:/susecloud?credentials=")
      # With the instance's data: the registry's note once verified (here
      # from the activation's cache entry), or its refusal.
      result = expect_parity_answered("Api::Connect::V4::Systems::ActivationsController#index") do
        activate(SLES)
        get "/connect/systems/activations"
        @answers << [last_response.status, cache_files[:registry_cache_dir]]
        clear_caches
        allow_any_instance_of(InstanceVerification::Providers::Example).to receive(:instance_valid?).and_return(false)
        get "/connect/systems/activations"
      end
      expect(result[:files][:answers]).to eq([[200, %w[127.0.0.1-i-0a1b2c3d 127.0.0.1-i-0a1b2c3d-2600]]])
      expect([result[:status], result[:body]]).to eq([403, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hash>\n  <error>Instance verification failed</error>\n</hash>\n"])
    end

    it "lists a registration code's products with the engines' URLs and the extensions' own free" do
      expect(RmtRs::Ownership.handler(Api::Connect::V4::Subscriptions::ProductsController, "index"))
        .to eq([:rmt_rs_subscription_products, :pubcloud])
      result = expect_parity do
        header "Authorization", 'Token token="SLES-REGCODE"'
        get "/connect/subscriptions/products"
      end
      expect(result[:status]).to eq(200)
      expect(result[:body].find { |p| p["identifier"] == "sle-ha" }["free"]).to be(false)
      expect(result[:body].first["repositories"].first["url"]).to start_with("plugin:/susecloud?credentials=&path=/repo/")
    end

    it "answers the activated product with susecloud URLs and the extensions' own free" do
      result = expect_parity do
        activate(SLES)
        show(SLES)
      end
      expect(result[:status]).to eq(200)
      ha = result[:body]["extensions"].find { |e| e["identifier"] == "sle-ha" }
      expect(ha["free"]).to be(false)
      expect(result[:body]["repositories"].first["url"]).to start_with("plugin:/susecloud?credentials=&path=/repo/")
    end
  end
end
