# frozen_string_literal: true

# Does RmtRs's catalog tracking make RMT's catalog writers wait on each other?
#
#   script/rmt database rmt_rs_contention
#   RAILS_ENV=production RMT_DATABASE=rmt_rs_contention script/rmt exec ruby $PWD/benches/catalog_contention.rb
#
# Inside RMT's production environment, on the seeded catalog (spec/support/catalog.rb),
# once with the catalog tracking uninstalled and once installed, for SECONDS each:
#
# - SYNC threads run RMT's own sync code, `RMT::SCC#create_product` (one transaction per
#   product tree: product, service, repositories and their links, extensions), on
#   RMT's fixture tree spec/fixtures/files/products/sle15_tree.json, each thread on
#   its own copy (ids and URLs shifted), renamed every round so every row is written;
# - MIRROR threads do what `rmt-cli mirror` does after each repository,
#   `Repository#refresh_timestamp!`, each on its own repositories of the seeded catalog;
# - HERD threads answer product trees and activations through RmtRs meanwhile.
#
# So no two writer transactions touch the same catalog row. Reported per run: rounds
# and wall time of each job kind (p50/max), InnoDB row lock waits and their time,
# deadlocks (Innodb_deadlocks and errors seen), and RmtRs's answers.
require File.join(Dir.pwd, "config/environment")
require "json"
require_relative "../spec/support/catalog"

SECONDS = Float(ENV.fetch("CONTENTION_SECONDS", "15"))
SYNC = Integer(ENV.fetch("CONTENTION_SYNC", "2"))
MIRROR = Integer(ENV.fetch("CONTENTION_MIRROR", "2"))
HERD = Integer(ENV.fetch("CONTENTION_HERD", "4"))
ROOT = File.expand_path("..", __dir__)
MODES = ENV.fetch("CONTENTION_MODES", "uninstalled,installed").split(",")

ActiveRecord::Base.logger = nil
Rails.logger.level = :warn
$stdout.sync = true

def sql(text)
  ActiveRecord::Base.connection.execute(text)
end

def run_file(name)
  # One statement a line, as the shipped files are written.
  File.read(File.join(ROOT, "db", name)).lines.reject { |l| l.start_with?("--") || l.strip.empty? }
      .join.split(/;\s*$/).map(&:strip).reject(&:empty?).each { |statement| sql(statement) }
end

# Each sync thread's own copy of RMT's fixture tree: ids and URLs shifted by the
# thread's number, so the threads' product trees share no row.
def tree_for(thread, round)
  fixture = JSON.parse(File.read(Rails.root.join("spec/fixtures/files/products/sle15_tree.json")),
                       symbolize_names: true).first
  shift = lambda do |item|
    item[:id] += 1_000_000 * (thread + 1)
    item[:name] = "#{item[:name]} (sync #{thread} round #{round})"
    item[:repositories].each do |repo|
      repo[:id] += 1_000_000 * (thread + 1)
      repo[:name] = "#{repo[:name]} #{round}"
      repo[:url] = repo[:url].sub(%r{://[^/]+/}, "://sync#{thread}.example.com/")
    end
    item[:extensions].each(&shift)
  end
  fixture.tap(&shift)
end

# RMT's sync of one product tree (`rmt-cli sync` and `rmt-cli import data` call it
# for every product SCC lists); protected in RMT::SCC, hence `send`.
def sync_tree(item)
  RMT::SCC.new.send(:create_product, item)
end

def status
  sql("SHOW GLOBAL STATUS WHERE Variable_name IN " \
      "('Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_deadlocks')").to_a.to_h.transform_values(&:to_i)
end

def percentile(values, p)
  return 0.0 if values.empty?

  values.sort[((values.size - 1) * p).round]
end

def job(kind, stop, results, &block)
  Thread.new do
    times = []
    errors = Hash.new(0)
    until Time.now >= stop
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      begin
        block.call(times.size)
        times << (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000
      rescue StandardError => e
        errors[e.class.name.split("::").last] += 1
      end
    end
    results << [kind, times, errors]
  ensure
    ActiveRecord::Base.connection_pool.release_connection
  end
end

def run(mode)
  Catalog.seed(ActiveRecord::Base.connection.raw_connection)
  run_file("catalog_tracking_uninstall.sql")
  RmtRs.install_catalog_tracking if mode == "installed"
  # Every sync thread's tree exists once before measuring, as after a first sync.
  SYNC.times { |t| sync_tree(tree_for(t, 0)) }

  # One system per herd thread, so the herd does not queue on its own rows.
  sles = Catalog::SLES.transform_keys(&:to_s)
  systems = Array.new(HERD) do
    announced = RmtRs::Registration.announce_system(hostname: "contention").body
    caller = RmtRs::Caller.new(login: announced["login"], password: announced["password"])
    RmtRs::Products.activate(caller: caller, params: sles, base_url: "http://rmt")
    caller
  end

  mirrored = Repository.where(mirroring_enabled: true).where.not(last_mirrored_at: nil).order(:id).to_a
  before = status
  stop = Time.now + SECONDS
  results = Queue.new
  threads = []
  SYNC.times do |t|
    threads << job(:sync, stop, results) { |round| sync_tree(tree_for(t, round + 1)) }
  end
  MIRROR.times do |m|
    mine = mirrored.select.with_index { |_, i| i % MIRROR == m }
    threads << job(:mirror, stop, results) do |round|
      # rmt-cli mirror: one repository after another, each stamped when done.
      mine[round % mine.size].refresh_timestamp!
    end
  end
  HERD.times do |h|
    threads << job(:herd, stop, results) do |round|
      action = (round + h).even? ? :show : :activate
      RmtRs::Products.public_send(action, caller: systems[h], params: sles, base_url: "http://rmt")
    end
  end
  threads.each(&:join)
  after = status
  rows = []
  rows << results.pop until results.empty?
  by_kind = rows.group_by(&:first)
  puts "## catalog tracking #{mode} (#{SECONDS} s, #{SYNC} sync, #{MIRROR} mirror, #{HERD} herd threads)"
  puts "| job | rounds | p50 ms | max ms | errors |"
  puts "|---|---|---|---|---|"
  %i[sync mirror herd].each do |kind|
    times = by_kind.fetch(kind, []).flat_map { |r| r[1] }
    errors = by_kind.fetch(kind, []).map { |r| r[2] }.reduce(Hash.new(0)) { |a, e| a.merge(e) { |_, x, y| x + y } }
    puts format("| %s | %d | %.1f | %.1f | %s |", kind, times.size, percentile(times, 0.5), times.max || 0,
                errors.empty? ? "none" : errors.map { |k, v| "#{v} #{k}" }.join(", "))
  end
  waits = after["Innodb_row_lock_waits"] - before["Innodb_row_lock_waits"]
  wait_ms = after["Innodb_row_lock_time"] - before["Innodb_row_lock_time"]
  deadlocks = after["Innodb_deadlocks"] - before["Innodb_deadlocks"]
  puts "row lock waits: #{waits}, row lock time: #{wait_ms} ms, deadlocks: #{deadlocks}"
  puts
ensure
  System.where(hostname: "contention").destroy_all
end

RmtRs::Railtie.configure_from(ActiveRecord::Base.connection_db_config.configuration_hash)
MODES.each { |mode| run(mode) }
