# frozen_string_literal: true

# The layers under the herd comparison, announce only, on the same database:
# Ruby threads running RMT's own ActiveRecord announce (RMT's models, no HTTP)
# and the same threads calling RmtRs directly; then, from examples/ceilings.rs,
# RmtRs's core with no Ruby and MariaDB's own rate of durable single-row
# inserts. Runs inside RMT's production environment; prints one JSON object as
# its last line.
#
#   RAILS_ENV=production RMT_DATABASE=<database> script/rmt exec ruby benches/ceilings.rb <database> [registrations] [threads]
require "json"
require "open3"

DATABASE = ARGV[0] || "rmt_rs_herd"
TOTAL = Integer(ARGV[1] || 2000)
THREADS = Integer(ARGV[2] || 10)
require_relative "../spec/support/database"
require_relative "../spec/support/rmt_server"
require File.join(Dir.pwd, "config/environment") # RMT's, from its tree
# As many connections as threads, for both layers.
ActiveRecord::Base.establish_connection(ActiveRecord::Base.connection_db_config.configuration_hash.merge(pool: THREADS))

def body(index)
  hwinfo = { "cpus" => 2, "arch" => "x86_64", "uuid" => format("%032x", index) }
  profiles = %w[pci mod].to_h do |kind|
    ["#{kind}_data", { "identifier" => "#{kind}-image-#{index % 4}", "data" => "[\"#{kind} data of image #{index % 4}\"]" }]
  end
  ["ceiling-#{index}", hwinfo, profiles]
end

def measure(name)
  queue = Queue.new
  TOTAL.times { |i| queue << i }
  queue.close
  latencies = Queue.new
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  Array.new(THREADS) do
    Thread.new do
      while (i = queue.pop)
        t = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        yield(*body(i))
        latencies << (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t) * 1000
      end
    end
  end.each(&:join)
  elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  sorted = Array.new(latencies.size) { latencies.pop }.sort
  at = ->(p) { sorted[[(sorted.size * p / 100.0).ceil - 1, 0].max] }
  { "layer" => name, "per_second" => TOTAL / elapsed, "p50_ms" => at.call(50), "p99_ms" => at.call(99) }
end

RmtServer.create_database(DATABASE)
ruby_path = measure("Ruby threads, RMT's ActiveRecord announce (no HTTP)") do |hostname, hwinfo, profiles|
  ActiveRecord::Base.connection_pool.with_connection do
    System.create!(hostname: hostname, system_information: hwinfo.to_json,
                   complete_profiles: profiles.transform_values(&:with_indifferent_access))
  end
end
RmtServer.create_database(DATABASE)
RmtRs::Railtie.configure_from(ActiveRecord::Base.connection_db_config.configuration_hash)
rmt_rs = measure("Ruby threads, RmtRs::Registration (no HTTP)") do |hostname, hwinfo, profiles|
  RmtRs::Registration.announce_system(hostname: hostname, hwinfo: hwinfo, system_profiles: profiles)
end

RmtServer.create_database(DATABASE)
example = File.join(ENV.fetch("CARGO_TARGET_DIR", File.join(DatabaseHelpers::ROOT, "target")), "release/examples/ceilings")
out, err, status = Open3.capture3(example, DatabaseHelpers::SOCKET, DATABASE, TOTAL.to_s, THREADS.to_s)
abort "ceilings example failed: #{err}" unless status.success?
puts JSON.generate("registrations" => TOTAL, "concurrency" => THREADS,
                   "layers" => [ruby_path, rmt_rs, *JSON.parse(out)["layers"]])
