# frozen_string_literal: true

# What the public-cloud PAYG parity specs share (payg_parity_spec.rb): the
# products and instance they register, and the steps that drive both paths
# and compare them, kept apart so that the examples read on their own.

HA = { identifier: "sle-ha", version: "15.6", arch: "x86_64" }.freeze
SLED = { identifier: "SLED", version: "15.6", arch: "x86_64" }.freeze
INSTANCE_DATA = "<document>{\"instanceId\": \"i-0a1b2c3d\"}</document>"
CACHE_DIRS = %i[repo_payg_cache_dir repo_byos_cache_dir repo_hybrid_cache_dir registry_cache_dir].freeze
HWINFO = { cpus: 2, sockets: 1, hypervisor: "Xen", arch: "x86_64", uuid: "ec235f7d-b435-e27d-86c6-c8fef3180a01",
           cloud_provider: "amazon" }.freeze

module PaygParityHelpers
  def cache_files
    CACHE_DIRS.to_h do |dir|
      path = Rails.application.config.public_send(dir)
      [dir, Dir.exist?(path) ? Dir.children(path).sort : []]
    end
  end

  def clear_caches
    CACHE_DIRS.each { |dir| FileUtils.rm_rf(Rails.application.config.public_send(dir)) }
  end

  # Runs `steps` on both paths from a freshly announced PAYG instance and
  # compares everything, the engines' files included.
  def expect_parity(instance_data: INSTANCE_DATA, &steps)
    files = {}
    outcomes = RmtRs::Parity.on_both_paths do |path|
      @exported = []
      @answers = [] # what the steps note of their answers besides the last
      clear_caches
      FileUtils.rm_rf(Dir.glob("#{sharing_dir}/*"))
      %w[Authorization System-Token X-Instance-Data].each { |name| header name, nil }
      header "Accept", ParityHelpers::V4
      header "User-Agent", "SUSEConnect/1.14.0"
      announce(instance_data)
      @credentials = JSON.parse(last_response.body)
      basic_authorize @credentials["login"], @credentials["password"] if last_response.status == 201
      header "X-Instance-Data", Base64.strict_encode64(instance_data.to_s)
      instance_exec(path, &steps) if steps
      files[path] = { exported: @exported, answers: @answers, caches: cache_files, shared: Dir.glob("#{sharing_dir}/**/*").map { |f| f.delete_prefix(sharing_dir) }.sort }
      last_response
    end
    expect(outcomes[:rust]).to eq(outcomes[:ruby])
    expect(files[:rust]).to eq(files[:ruby])
    # RMT's log lines (and the engines'), as parity_helper's expect_same.
    expect(RmtRs::Parity.logs[:rust]).to eq(RmtRs::Parity.logs[:ruby])
    outcomes[:ruby].merge(files: files[:ruby])
  end

  # expect_parity for steps whose last request RmtRs answered itself
  # (`answered_as`: "Controller#action" as Rails names the one that ran).
  def expect_parity_answered(answered_as, &steps)
    result = nil
    answered = answered_by_rmt_rs { result = expect_parity(&steps) }
    expect(answered).to include(answered_as)
    result
  end

  # How many queries for the system's base product (instance verification's
  # `system.products.find_by(product_type: 'base')`) the block made through
  # ActiveRecord: RmtRs finds zypper_auth's cache hit without it.
  def base_product_queries
    queries = 0
    listener = ->(*, payload) { queries += 1 if payload[:sql].include?("product_type") }
    ActiveSupport::Notifications.subscribed(listener, "sql.active_record") { yield }
    queries
  end

  # Registration sharing with one peer, its notes under sharing_dir.
  def share_with_peer
    sharing = Config::Options.new.merge!(peers: ["peer.example.org"], data_dir: sharing_dir)
    allow(Settings).to receive(:[]).and_call_original
    allow(Settings).to receive(:[]).with(:regsharing).and_return(sharing)
    allow(Settings).to receive(:dig).and_call_original
    allow(Settings).to receive(:dig).with(:regsharing, :peers).and_return(sharing[:peers])
  end

  # registercloudguest's announce: SUSEConnect with the instance data and no
  # registration code.
  def announce(instance_data, regcode: "")
    header "Authorization", "Token token=#{regcode}"
    post "/connect/subscriptions/systems",
         { hostname: "ip-10-0-0-1", hwinfo: HWINFO, instance_data: instance_data }.compact.to_json,
         "CONTENT_TYPE" => "application/json"
  end
end
