# frozen_string_literal: true

require_relative "parity_helper"

RSpec.describe "POST and GET /connect/systems/products: RmtRs against RMT's Ruby path", :parity do
  def product(identifier, version: "15.6", **extra)
    { identifier: identifier, version: version, arch: "x86_64" }.merge(extra)
  end

  SERVER_APPS = { identifier: "sle-module-server-applications", version: "15.6", arch: "x86_64" }.freeze

  # Outcomes and RMT's log lines the same on both paths.
  def expect_parity(**options, &steps)
    outcomes = as_new_system(**options, &steps)
    expect_same(outcomes)
  end

  describe "activate" do
    # RMT 2.26 and 2.27 refuse such a product ("No repositories found"), 2.28
    # activates it: RmtRs does what the running release's Ruby does.
    it "activates or refuses a module whose service has no repositories, as the running RMT does" do
      db.query("DELETE FROM repositories_services WHERE service_id = 2601")
      result = expect_parity { activate(SLES, token: "") && activate(BASESYSTEM, token: @token) && show(BASESYSTEM, token: @token) }
      refused = RmtRs::Ownership::Release.repositories_required?
      expect(result[:status]).to eq(refused ? 422 : 200)
      expect(result[:activations].size).to eq(refused ? 1 : 2)
    end

    it "activates the base product with a new system token, on v4 and v3" do
      result = expect_parity { activate(SLES, token: "") }
      expect(result[:status]).to eq(201)
      expect(result[:headers]["System-Token"]).to eq("<token>")
      expect(result[:body]["product"]["extensions"].map { |e| e["identifier"] })
        .to eq(%w[sle-module-basesystem sle-ha sle-module-live-patching])
      expect(result[:activations].size).to eq(1)
      expect_parity(accept: ParityHelpers::V3) { activate(SLES, token: "") }
    end

    it "activates for an old client without system tokens" do
      result = expect_parity { activate(SLES) }
      expect(result[:headers]["System-Token"]).to be_nil
    end

    it "activates the recommended modules in order, each with the token it was given" do
      result = expect_parity do
        activate(SLES, token: "")
        [BASESYSTEM, SERVER_APPS, product("sle-module-public-cloud")].each { |p| activate(p, token: @token) }
        last_response
      end
      expect(result[:status]).to eq(201)
      expect(result[:systems].size).to eq(1)
      expect(result[:activations].size).to eq(4)
    end

    it "activates an already active product again without a second row" do
      result = expect_parity { activate(SLES) && activate(SLES) }
      expect(result[:activations].size).to eq(1)
    end

    it "accepts RMT's version clean-up" do
      expect(expect_parity { activate(product("SLES", version: "15.6.0")) }[:status]).to eq(201)
    end

    it "activates from a form-encoded body, as RMT's own request specs send it" do
      result = expect_parity { header("System-Token", "") && post("/connect/systems/products", SLES.merge(token: "")) }
      expect(result[:status]).to eq(201)
    end

    it "activates a second-level extension without its base, as RMT does" do
      expect(expect_parity { activate(SLES) && activate(product("sle-ha-geo")) }[:status]).to eq(201)
    end
  end

  describe "refusals, each with RMT's status and message" do
    {
      "no parameters" => [{}, "Required parameters are missing or empty: identifier, version, arch"],
      "no arch" => [{ identifier: "SLES", version: "15.6" }, "Required parameters are missing or empty: arch"],
      "an unknown product" => [{ identifier: "SLES", version: "99", arch: "x86_64" }, "No product found"],
      "a legacy payload (its keys count, the lookup uses the parameters)" =>
        [{ payload: SLES.to_json }, "No product found"],
      "a product without repositories" =>
        [{ identifier: "sle-module-live-patching", version: "15.6", arch: "x86_64" },
         "No repositories found for product: SUSE Linux Enterprise Live Patching 15 SP6 x86_64"],
      "a product whose repositories are not mirrored" =>
        [{ identifier: "PackageHub", version: "15.6", arch: "x86_64" },
         "Not all mandatory repositories are mirrored for product SUSE Package Hub 15 SP6 x86_64. Missing " \
         "Repositories (by ids): 31300, 31301. On the RMT server, the missing repositories can be enabled with: " \
         "rmt-cli repos enable 31300, 31301;  rmt-cli mirror"],
      "a module before its base product" =>
        [BASESYSTEM, "The product you are attempting to activate (Basesystem Module 15 SP6 x86_64) requires one " \
                     "of these products to be activated first: SUSE Linux Enterprise Server 15 SP6 x86_64, " \
                     "SUSE Linux Enterprise Desktop 15 SP6 x86_64"]
    }.each do |name, (body, message)|
      { "v4" => ParityHelpers::V4, "v3" => ParityHelpers::V3 }.each do |version, accept|
        it "refuses #{name} (#{version})" do
          result = expect_parity(accept: accept) { activate(body, token: "") }
          expect([result[:status], result[:body]["error"]]).to eq([422, message])
          expect(result[:headers]["System-Token"]).to be_nil # the announced system has no token yet
        end
      end
    end

    it "refuses the product tree of an unknown product on v3 as on v4" do
      result = expect_parity(accept: ParityHelpers::V3) { show(product("SLES", version: "99")) }
      expect(result[:body]["error"]).to eq("No product found")
    end

    it "refuses a module that is not available on the system's base product" do
      result = expect_parity { activate(product("SLED")) && activate(BASESYSTEM) && activate(SERVER_APPS) }
      expect(result[:body]["error"]).to eq(
        "The product you are attempting to activate (Server Applications Module 15 SP6 x86_64) is not available " \
        "on your system's base product (SUSE Linux Enterprise Desktop 15 SP6 x86_64). Server Applications Module " \
        "15 SP6 x86_64 is available on SUSE Linux Enterprise Server 15 SP6 x86_64."
      )
    end

    { "v4" => ParityHelpers::V4, "v3" => ParityHelpers::V3 }.each do |version, accept|
      it "answers unknown credentials with 401 and RMT's error, and no credentials with the basic challenge (#{version})" do
        result = expect_parity(accept: accept) { basic_authorize("SCC_nobody", "x") && activate(SLES) }
        expect([result[:status], result[:body]["error"]]).to eq([401, "Invalid system credentials"])
        result = expect_parity(accept: accept) { header("Authorization", nil) && show(SLES) }
        expect([result[:status], result[:headers]["WWW-Authenticate"]]).to eq([401, 'Basic realm="RMT API"'])
      end
    end
  end

  describe "subscriptions" do
    it "attaches the subscription of a registration code that covers the product" do
      result = expect_parity { activate(SLES.merge(token: "SLES-REGCODE")) }
      expect(result[:activations].map { |a| a["subscription_id"] }).to eq([1])
    end

    {
      "NOPE" => "No subscription found with this registration code",
      "EXPIRED-REGCODE" => "The subscription with the provided Registration Code is expired",
      "SLED-REGCODE" => "The subscription with the provided Registration Code does not include the requested " \
                        "product 'SUSE Linux Enterprise Server 15 SP6 x86_64'"
    }.each do |regcode, message|
      { "v4" => ParityHelpers::V4, "v3" => ParityHelpers::V3 }.each do |version, accept|
        it "refuses the registration code #{regcode} (#{version})" do
          result = expect_parity(accept: accept) { activate(SLES.merge(token: regcode)) }
          expect([result[:status], result[:body]["error"], result[:activations]]).to eq([422, message, []])
        end
      end
    end

    it "reuses the subscription of the activated predecessor" do
      result = expect_parity { activate(product("SLES", version: "15.5", token: "SLES-REGCODE")) && activate(SLES) }
      expect(result[:activations].map { |a| a["subscription_id"] }).to eq([1, 1])
    end
  end

  describe "system tokens" do
    it "keeps one system while the client sends back the token it got" do
      result = expect_parity { activate(SLES, token: "") && activate(BASESYSTEM, token: @token) }
      expect(result[:systems].size).to eq(1)
    end

    it "registers a duplicate, with the activations, when the token does not match" do
      result = expect_parity { activate(SLES, token: "") && activate(BASESYSTEM, token: "0f0e4bd1-6bcf-4a3a-9a3e-000000000000") }
      expect(result[:systems].size).to eq(2)
      expect(result[:activations].map { |a| [a["system_id"], a["service_id"]] }).to eq([[0, 2600], [1, 2600], [1, 2601]])
    end

    it "registers a duplicate when an empty token meets a system that has one" do
      result = expect_parity { activate(SLES, token: "") && activate(BASESYSTEM, token: "") }
      expect(result[:systems].map { |s| s["system_token"] }).to eq(["<token>", "<token>"])
    end

    # RMT's five cases (ApplicationController#find_system_by_token_header) on a
    # system that holds a token, for both actions and both API versions.
    ParityHelpers::ACCEPTS.each do |version, accept|
      { "absent" => :absent, "empty" => "", "matching" => :matching,
        "mismatching" => "0f0e4bd1-6bcf-4a3a-9a3e-000000000000" }.each do |state, sent|
        %i[activate show].each do |action|
          it "#{action}s with the System-Token #{state} (#{version})" do
            result = expect_parity(accept: accept) do
              activate(SLES, token: "")
              token = sent == :matching ? @token : sent
              action == :activate ? activate(BASESYSTEM, token: token) : show(SLES, token: token)
            end
            expect(result[:status]).to eq(action == :activate ? 201 : 200)
            # An empty token on a system that has one makes a duplicate without a
            # token: only an activation gives it one.
            tokenless = sent == :absent || (sent == "" && action == :show)
            expect(result[:headers]["System-Token"]).to(tokenless ? be_nil : eq("<token>"))
          end
        end
      end
    end

    context "when the operator disabled system tokens (connect_api.disable_system_tokens)" do
      around do |example|
        Settings.connect_api.disable_system_tokens = true
        example.run
      ensure
        Settings.connect_api.disable_system_tokens = false
      end

      it "neither echoes nor rotates the token, yet still tells duplicates apart by it" do
        result = expect_parity do
          activate(SLES, token: "") && activate(BASESYSTEM, token: "") && show(SLES, token: "abc")
        end
        expect(result[:headers]["System-Token"]).to be_nil
        expect(result[:systems].map { |s| s["system_token"] }).to eq([nil, "abc"])
      end
    end

    it "activates as connect-ng 1.13 sends it (release_type, empty token, email) and reads the tree by query" do
      result = expect_parity do
        header "User-Agent", "SUSEConnect-ng/1.13.0"
        activate(SLES.merge(release_type: nil, token: "", email: ""), token: "")
        show(SLES, as: :query, token: @token)
      end
      expect(result[:status]).to eq(200)
    end

    it "leaves the hwinfo alone for zypper" do
      result = expect_parity { header("User-Agent", "ZYpp 17.31.8") && activate(SLES) }
      expect(result[:systems].first["system_information"]).to eq('{"cpus":2,"arch":"x86_64"}')
    end
  end

  describe "deactivation (API v4)" do
    def deactivate(body, token: @token)
      header "System-Token", token
      delete "/connect/systems/products", body.to_json, "CONTENT_TYPE" => "application/json"
      @token = last_response.headers["System-Token"] || @token
      last_response
    end

    def activated
      activate(SLES, token: "")
      [BASESYSTEM, SERVER_APPS].each { |p| activate(p, token: @token) }
    end

    it "removes a module's activation, answers its service and hands out a new token" do
      result = expect_parity { activated && deactivate(SERVER_APPS) }
      expect([result[:status], result[:body]["product"]["identifier"]]).to eq([200, "sle-module-server-applications"])
      expect(result[:headers]["System-Token"]).to eq("<token>")
      expect(result[:activations].map { |a| a["service_id"] }).to eq([2600, 2601])
      expect(RmtRs::Parity.logs[:ruby]).to include("Product 'Server Applications Module 15 SP6 x86_64' deactivated")
    end

    {
      "a base product" => [SLES, 'The product "SUSE Linux Enterprise Server" is a base product and cannot be deactivated'],
      "a module others depend on" =>
        [BASESYSTEM, 'Cannot deactivate the product "Basesystem Module". Other activated products depend upon it.'],
      "a product not activated" => [BASESYSTEM.merge(identifier: "sle-module-python3"),
                                    "Python 3 Module is not yet activated on the system."],
      "an unknown product" => [SLES.merge(version: "99"), "No product found"]
    }.each do |name, (body, message)|
      it "refuses #{name} with RMT's message" do
        result = expect_parity { activated && deactivate(body) }
        expect([result[:status], result[:body]["error"], result[:activations].size]).to eq([422, message, 3])
      end
    end
  end

  describe "synchronize (API v4)" do
    def synchronize(products, token: @token)
      header "System-Token", token
      post "/connect/systems/products/synchronize", { products: products }.to_json, "CONTENT_TYPE" => "application/json"
      @token = last_response.headers["System-Token"] || @token
      last_response
    end

    it "keeps what the client lists (versions cleaned up as RMT does), removes the rest, answers the products" do
      result = expect_parity do
        activate(SLES, token: "")
        [BASESYSTEM, SERVER_APPS].each { |p| activate(p, token: @token) }
        synchronize([SLES.merge(version: "15.6-0"), BASESYSTEM])
      end
      expect([result[:status], result[:headers]["System-Token"]]).to eq([200, "<token>"])
      expect(result[:body].map { |p| p["identifier"] }).to eq(%w[SLES sle-module-basesystem])
      expect(result[:activations].map { |a| a["service_id"] }).to eq([2600, 2601])
      expect(RmtRs::Parity.logs[:ruby].grep(/de-activated on system/).size).to eq(1)
    end

    it "leaves to RMT what it refuses: no list, and items that are not products" do
      expect(expect_parity(rmt_answers: %w[synchronize]) { activate(SLES) && synchronize(nil) }[:status]).to eq(400)
      expect(expect_parity(rmt_answers: %w[synchronize]) { activate(SLES) && synchronize(["SLES"]) }[:status]).to eq(500)
    end
  end

  describe "show" do
    it "shows an activated product with its tree, from a JSON body and from the query string" do
      result = expect_parity { activate(SLES, token: "") && show(SLES) }
      expect(result[:status]).to eq(200)
      expect(result[:body]["extensions"].first["extensions"].map { |e| e["recommended"] }).to eq([true, false, false, false])
      expect_parity { activate(SLES) && show(SLES, as: :query) }
      expect_parity(accept: ParityHelpers::V3) { activate(SLES) && show(SLES) }
    end

    it "leaves a product named by a list to RMT's path (its find_by reads it as IN)" do
      result = expect_parity(rmt_answers: %w[show]) { activate(SLES) && show(SLES.merge(identifier: ["SLES"]), as: :query) }
      expect(result[:status]).to eq(200)
    end

    it "refuses a product that is not activated" do
      result = expect_parity { show(SLES) }
      expect(result[:body]["error"]).to eq(
        "The requested product 'SUSE Linux Enterprise Server 15 SP6 x86_64' is not activated on this system."
      )
    end
  end

  it "answers with the catalog as it is now, right after a sync changed it (cached trees are never stale)" do
    result = expect_parity do
      activate(SLES) && show(SLES)
      db.query("UPDATE products SET name = 'Basesystem Module Renamed' WHERE id = 2601")
      show(SLES)
    ensure
      db.query("UPDATE products SET name = 'Basesystem Module' WHERE id = 2601")
    end
    expect(result[:body]["extensions"].first["name"]).to eq("Basesystem Module Renamed")
  end

  it "never repeats a password or registration code in what RmtRs answers" do
    password = "pw-#{SecureRandom.hex(8)}"
    regcode = "REGCODE-#{SecureRandom.hex(8)}"
    announced = RmtRs::Registration.announce_system(hostname: "h").body
    answers = [
      RmtRs::Products.activate(caller: RmtRs::Caller.new(login: announced["login"], password: password),
                               params: SLES, base_url: "http://x"),
      RmtRs::Products.activate(caller: RmtRs::Caller.new(login: announced["login"], password: announced["password"]),
                               params: SLES.merge(token: regcode), base_url: "http://x")
    ]
    expect(answers.map(&:status)).to eq([401, 422])
    texts = answers.flat_map { |answer| [answer.body, answer.inspect] }.join("\n")
    expect(texts).not_to include(password)
    expect(texts).not_to include(regcode)
  end

  it "starts from an empty hwinfo for a system announced without one, where RMT fails with 500" do
    outcomes = as_new_system(hwinfo: nil) { activate(SLES) }
    expect(outcomes[:ruby][:status]).to eq(500) # NoMethodError: JSON.parse("null").symbolize_keys
    expect(outcomes[:rust][:status]).to eq(201)
    expect(outcomes[:rust][:systems].first["system_information"]).to eq('{"user_agent":"SUSEConnect/1.14.0"}')
  end
end
