# frozen_string_literal: true

require_relative "parity_helper"

# API v4's read-only product listings: what a registration code covers
# (`GET /connect/subscriptions/products`, authenticated with
# `Authorization: Token token=<regcode>`) and a product's installer-update
# repositories (`GET /connect/repositories/installer`, unauthenticated).
RSpec.describe "GET /connect/subscriptions/products and /connect/repositories/installer: RmtRs against RMT", :parity do
  # The Updates repository of SLES 15 SP6 carries installer updates.
  before { db.query("UPDATE repositories SET installer_updates = TRUE WHERE id IN (26001, 26003)") }

  def expect_parity(rmt_answers: [], &steps)
    expect_same(RmtRs::Parity.on_both_paths(rmt_answers: rmt_answers) do
      %w[Authorization System-Token].each { |name| header name, nil }
      header "Accept", ParityHelpers::V4
      instance_exec(&steps)
      last_response
    end)
  end

  def subscription_products(regcode, query = {})
    header "Authorization", regcode && "Token token=\"#{regcode}\""
    get "/connect/subscriptions/products", query
  end

  def installer(query)
    get "/connect/repositories/installer", query
  end

  describe "a subscription's products" do
    it "lists the products of the code's product classes with their trees, narrowed by what is sent" do
      answered = answered_by_rmt_rs do
        result = expect_parity { subscription_products("SLES-REGCODE") }
        expect(result[:status]).to eq(200)
        expect(result[:body].map { |p| p["id"] }).to contain_exactly(2600, 2500, 2620)
        expect(result[:body].find { |p| p["id"] == 2600 }["extensions"].size).to eq(3)
        result = expect_parity { subscription_products("SLES-REGCODE", identifier: "SLES", version: "15.6-0") }
        expect(result[:body].map { |p| p["id"] }).to eq([2600])
        expect(expect_parity { subscription_products("SLES-REGCODE", release_type: "") }[:body]).to eq([])
      end
      expect(answered).to include("Api::Connect::V4::Subscriptions::ProductsController#index")
    end

    it "refuses unknown and not activated codes and a request without one, as RMT does, logging no code" do
      expect(expect_parity { subscription_products("NOPE") }[:body]["error"]).to eq("Unknown Registration Code.")
      expect(RmtRs::Parity.logs[:rust].join).not_to include("NOPE")
      expect(expect_parity { subscription_products("EXPIRED-REGCODE") }[:status]).to eq(401)
      result = expect_parity { subscription_products(nil) }
      expect([result[:status], result[:headers]["WWW-Authenticate"]]).to eq([401, 'Token realm="Application"'])
    end
  end

  describe "installer repositories" do
    it "lists the product's mirrored installer-update repositories, version cleaned up, release type blank or not" do
      result = expect_parity { installer(identifier: "SLES", version: "15.6-0", arch: "x86_64", release_type: "") }
      expect(result[:body].map { |r| r["id"] }).to eq([26_001])
      expect(expect_parity { installer(identifier: "SLES", version: "15.5", arch: "x86_64") }[:body]).to eq([])
    end

    it "refuses missing parameters and an unknown product with RMT's messages" do
      result = expect_parity { installer(identifier: "SLES") }
      expect(result[:body]["error"]).to eq("Required parameters are missing or empty: version, arch")
      result = expect_parity { installer(identifier: "nope", version: "15-0", arch: "x86_64", release_type: " ") }
      expect([result[:status], result[:body]["error"]]).to eq([422, "No product found on RMT for: nope 15-0 15 x86_64"])
    end

    it "leaves to RMT what its permit drops (a list for a field)" do
      answered = answered_by_rmt_rs do
        expect_parity(rmt_answers: %w[index]) { installer("identifier[]" => "SLES", version: "15.6", arch: "x86_64") }
      end
      expect(answered).to eq([])
    end
  end
end
