# frozen_string_literal: true

require_relative "../parity_helper"

abort "The public-cloud specs need RMT's engines: RMT_LOAD_ENGINES=1 script/rmt spec ..." unless defined?(SccProxy::Engine)

# With RMT's public-cloud engines loaded, RmtRs owns the actions it knows as
# the engines make RMT answer (flavor :pubcloud), and nothing it does not know: an engine or site code beyond the engines sends the action back
# to RMT, with the reason in the boot log.
RSpec.describe RmtRs::Ownership do
  after { described_class.reset! }

  def reasons
    described_class.report.map(&:last).compact
  end

  it "owns every action it knows with the engines, V3 and V4" do
    expect(reasons).to eq([])
    expect(%w[show legacy_service].map { |action| described_class.handler(ServicesController, action) })
      .to eq([[:rmt_rs_service, :pubcloud], [:rmt_rs_legacy_service, :pubcloud]])
    products = [Api::Connect::V3::Systems::ProductsController, Api::Connect::V4::Systems::ProductsController]
    expect(products.flat_map { |c| %w[activate show].map { |a| described_class.handler(c, a) } })
      .to eq([[:rmt_rs_activate, :pubcloud], [:rmt_rs_show, :pubcloud]] * 2)
    expect(described_class.handler(products.last, "destroy")).to eq([:rmt_rs_deactivate, :pubcloud])
    expect(described_class.handler(Api::Connect::V3::Subscriptions::SystemsController, "announce_system"))
      .to eq([:rmt_rs_announce, :pubcloud])
    expect(described_class.handler(Api::Connect::V3::Systems::ActivationsController, "index"))
      .to eq([:rmt_rs_activations, :pubcloud])
    expect(%w[update deregister].map { |a| described_class.handler(Api::Connect::V3::Systems::SystemsController, a) })
      .to eq([[:rmt_rs_update, :pubcloud], [:rmt_rs_deregister, :pubcloud]])
  end

  it "leaves activation to RMT when an engine it does not know adds a check, and says so" do
    # Defined as another engine in RMT's tree would define it.
    Api::Connect::V3::Systems::ProductsController.class_eval("def check_quota; end",
                                                             Rails.root.join("engines/quota/lib/quota/engine.rb").to_s, 1)
    Api::Connect::V3::Systems::ProductsController.before_action :check_quota, only: :activate
    described_class.reset!
    expect(described_class.handler(Api::Connect::V3::Systems::ProductsController, "activate")).to be_nil
    reason = described_class.report.find { |c, a, _| c == Api::Connect::V3::Systems::ProductsController && a == "activate" }.last
    expect(reason).to eq("callbacks RmtRs does not know: before check_quota engines/quota/lib/quota/engine.rb")
  ensure
    Api::Connect::V3::Systems::ProductsController.skip_callback(:process_action, :before, :check_quota)
    Api::Connect::V3::Systems::ProductsController.send(:remove_method, :check_quota)
  end

  it "leaves the answers to RMT when zypper_auth's URLs are not the ones it knows, and takes them back after" do
    zypper_auth_url = V3::ServiceSerializer.instance_method(:url)
    begin
      V3::ServiceSerializer.class_eval("def url; 'elsewhere'; end", Rails.root.join("engines/cdn/lib/cdn/engine.rb").to_s, 1)
      described_class.reset!
      expect(described_class.handler(Api::Connect::V3::Systems::ProductsController, "show")).to be_nil
      expect(reasons.first)
        .to eq("V3::ServiceSerializer#url is defined in engines/cdn/lib/cdn/engine.rb, not #{described_class::ZYPPER_AUTH}")
    ensure
      V3::ServiceSerializer.define_method(:url, zypper_auth_url)
    end
    described_class.reset!
    expect(reasons).to eq([])
  end
end
