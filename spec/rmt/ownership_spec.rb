# frozen_string_literal: true

require_relative "parity_helper"

# RmtRs owns an action whole only where RMT's callbacks, the action's source
# and the written models' callbacks are the ones it was written from
# (RmtRs::Ownership). These examples fail when RMT adds, renames or drops one.
RSpec.describe RmtRs::Ownership do
  after { described_class.reset! }

  def handler(controller, action)
    described_class.handler(controller, action)&.first
  end

  # The report of RMT's own controllers (not the ones examples define).
  def rmt_report
    described_class.report.select do |controller, _, _|
      controller.name.safe_constantize.equal?(controller) &&
        !Object.const_source_location(controller.name).to_a.first.to_s.include?("/spec/")
    end
  end

  def entry(action, flavor = :rmt)
    described_class::ACTIONS.find { |e| e.action == action && e.flavor == flavor }
  end

  it "owns announce, activate, show, the keepalive, deregistration, the activations and the service refreshes on RMT 2.28's controllers" do
    left = rmt_report.select { |_, _, reason| reason }
    expect(left.map { |controller, action, reason| [controller.name, action, reason] })
      .to match_array(%w[V3 V4].map { |v| ["Api::Connect::#{v}::Systems::ProductsController", "upgrade", described_class::ONLY_WITH_ENGINES] })
    products = [Api::Connect::V3::Systems::ProductsController, Api::Connect::V4::Systems::ProductsController]
    expect(products.flat_map { |c| %w[activate show].map { |a| described_class.handler(c, a) } })
      .to eq([[:rmt_rs_activate, :rmt], [:rmt_rs_show, :rmt]] * 2)
    announces = [Api::Connect::V3::Subscriptions::SystemsController, Api::Connect::V4::Subscriptions::SystemsController]
    expect(announces.map { |c| handler(c, "announce_system") }).to eq(%i[rmt_rs_announce] * 2)
    expect(handler(Api::Connect::V4::Systems::ProductsController, "upgrade")).to be_nil
    expect(handler(Api::Connect::V4::Systems::SystemsController, "update")).to eq(:rmt_rs_update)
    expect(handler(ServicesController, "show")).to eq(:rmt_rs_service)
    expect(handler(ServicesController, "legacy_service")).to eq(:rmt_rs_legacy_service)
    expect(handler(Api::Connect::V3::Systems::ActivationsController, "index")).to eq(:rmt_rs_activations)
  end

  # A block's callback is as much the app's as a method's: its source decides.
  it "leaves the activation to RMT while Activation has a block callback it does not know" do
    # Defined as an engine in RMT's tree would define it.
    block = eval("proc { |activation| activation.touch }", binding, Rails.root.join("engines/site/lib/site/engine.rb").to_s, 1) # rubocop:disable Security/Eval
    Activation.after_create(&block)
    described_class.reset!
    expect(handler(Api::Connect::V3::Systems::ProductsController, "activate")).to be_nil
    expect(rmt_report.map(&:last).compact.first)
      .to eq("model Activation has callbacks RmtRs does not know: create after proc engines/site/lib/site/engine.rb")
  ensure
    Activation.skip_callback(:create, :after, block.object_id) if block # a block is known by its object id
  end

  it "leaves a subclass with a callback it does not know to RMT, and says which" do
    stub_const("SiteProductsController", Class.new(Api::Connect::V4::Systems::ProductsController) do
      before_action :audit, only: :activate
      def audit; end
    end)
    reason = described_class.send(:check, SiteProductsController, entry("activate"))
    expect(reason).to start_with("callbacks RmtRs does not know: before audit")
    expect(handler(SiteProductsController, "activate")).to be_nil
  end

  it "leaves a subclass that dropped one of RMT's callbacks to RMT" do
    stub_const("LaxProductsController", Class.new(Api::Connect::V3::Systems::ProductsController) do
      skip_before_action :load_subscription
    end)
    expect(described_class.send(:check, LaxProductsController, entry("activate")))
      .to eq("callbacks RmtRs expects are gone: before load_subscription app/controllers/api/connect/v3/systems/products_controller.rb")
  end

  it "leaves a subclass whose action is its own to RMT" do
    stub_const("OwnAnnounceController", Class.new(Api::Connect::V3::Subscriptions::SystemsController) do
      def announce_system
        head :ok
      end
    end)
    expect(handler(OwnAnnounceController, "announce_system")).to be_nil
  end

  it "leaves announce to RMT while System has an after_commit it does not know (registration sharing's kind)" do
    # Defined as an engine in RMT's tree would define it.
    System.class_eval("def share_elsewhere; end", Rails.root.join("engines/site/lib/site/engine.rb").to_s, 1)
    System.after_commit :share_elsewhere
    described_class.reset!
    expect(handler(Api::Connect::V3::Subscriptions::SystemsController, "announce_system")).to be_nil
    expect(rmt_report.map(&:last).compact.first).to match(/model System has callbacks RmtRs does not know/)
  ensure
    System.skip_callback(:commit, :after, :share_elsewhere)
    System.send(:remove_method, :share_elsewhere)
  end
end

# A site's patch of code RmtRs does the work of (loaded from a file in the
# app's tree, as an initializer is) changes its fingerprint: that action goes
# back to RMT's path, and the report names the method. Each patch is undone
# after the example (the original method put back).
RSpec.describe RmtRs::Ownership, "with a site's patch" do
  after { described_class.reset! }

  def patched(klass, name, source)
    original = klass.instance_method(name)
    hidden = klass.private_method_defined?(name)
    file = Rails.root.join("tmp/site_patch_#{name.to_s.delete('?')}.rb")
    file.write(source)
    load file.to_s
    described_class.reset!
    yield
  ensure
    klass.define_method(name, original)
    klass.send(:private, name) if hidden
    file&.delete
    described_class.reset!
  end

  def reason(controller, action)
    described_class.report.find { |c, a, _| c == controller && a == action }&.last
  end

  it "leaves the activation to RMT when a callback's body is patched" do
    source = <<~RUBY
      Api::Connect::V3::Systems::ProductsController.class_eval do
        def check_base_product_dependencies
          true
        end
      end
    RUBY
    patched(Api::Connect::V3::Systems::ProductsController, :check_base_product_dependencies, source) do
      expect(described_class.handler(Api::Connect::V3::Systems::ProductsController, "activate")).to be_nil
      expect(reason(Api::Connect::V3::Systems::ProductsController, "activate"))
        .to include("check_base_product_dependencies tmp/site_patch_check_base_product_dependencies.rb")
    end
    expect(reason(Api::Connect::V3::Systems::ProductsController, "activate")).to be_nil
    expect(described_class.handler(Api::Connect::V3::Systems::ProductsController, "activate")).to eq([:rmt_rs_activate, :rmt])
  end

  # The same callback edited in RMT's own file (a site's tree, a new release):
  # only its fingerprint tells.
  it "leaves the activation to RMT when one line of a callback's body changes in RMT's file" do
    file = Rails.root.join("app/controllers/api/connect/v3/systems/products_controller.rb")
    original = file.read
    # Put back as it was, its time too: Rails would reload the app's code for a changed one.
    mtime = file.mtime
    line = original.lines.index { |l| l.include?("def check_base_product_dependencies") } + 1
    # One line of its body, in place: `return if @product.base?` becomes `… .root?`.
    changed = original.lines.each_with_index.map do |text, i|
      i > line && text.strip == "return if @product.base?" ? text.sub("base?", "root?") : text
    end
    expect(changed.join).not_to eq(original)
    file.write(changed.join)
    described_class.reset!
    expect(described_class.handler(Api::Connect::V3::Systems::ProductsController, "activate")).to be_nil
    expect(reason(Api::Connect::V3::Systems::ProductsController, "activate")).to start_with(
      "the code of Api::Connect::V3::Systems::ProductsController#check_base_product_dependencies " \
      "(app/controllers/api/connect/v3/systems/products_controller.rb:#{line}) is not code RmtRs knows"
    )
  ensure
    if original
      file.write(original)
      File.utime(mtime, mtime, file)
    end
  end

  it "leaves the announce to RMT when a model method is patched" do
    source = <<~RUBY
      System.class_eval do
        def set_system_information(key, value)
          super
        end
      end
    RUBY
    patched(System, :set_system_information, source) do
      expect(described_class.handler(Api::Connect::V3::Subscriptions::SystemsController, "announce_system")).to be_nil
      expect(reason(Api::Connect::V3::Subscriptions::SystemsController, "announce_system"))
        .to start_with("the code of System#set_system_information (tmp/site_patch_set_system_information.rb:2)")
    end
  end

  it "leaves the activation to RMT when a serializer's method is patched" do
    source = <<~RUBY
      V3::ProductSerializer.class_eval do
        def free
          object.free || true
        end
      end
    RUBY
    patched(V3::ProductSerializer, :free, source) do
      expect(described_class.handler(Api::Connect::V3::Systems::ProductsController, "activate")).to be_nil
      expect(reason(Api::Connect::V3::Systems::ProductsController, "activate")).to include("V3::ProductSerializer#free")
    end
  end
end
