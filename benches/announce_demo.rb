# frozen_string_literal: true

# Registers a few hundred systems concurrently through RmtRs on the private
# MariaDB, as Puma threads would during a thundering herd, and prints what
# happened: throughput, latency, errors, rows written, and how far a sibling Ruby
# thread got meanwhile (it only runs while RmtRs has released the GVL).
#
#   ruby -Ilib benches/announce_demo.rb [systems] [threads]
require "rmt_rs"
require "securerandom"
require_relative "../spec/support/database"

SYSTEMS = Integer(ARGV[0] || ENV.fetch("DEMO_SYSTEMS", 500))
THREADS = Integer(ARGV[1] || ENV.fetch("DEMO_THREADS", 50))
DATABASE = "rmt_rs_demo"

# What SUSEConnect sends for a cloud instance (hwinfo as it collects it, and the
# system profiles that instances of one image share).
def announce_body(index)
  {
    hostname: "herd-#{index}",
    hwinfo: {
      "hostname" => "herd-#{index}", "cpus" => 2, "sockets" => 1, "hypervisor" => "KVM", "arch" => "x86_64",
      "uuid" => SecureRandom.uuid, "cloud_provider" => "Amazon", "mem_total" => 7_863,
      "sap" => [], "container_runtime" => nil
    },
    system_profiles: {
      "pci_data" => { "identifier" => "pci-image-#{index % 3}", "data" => "00:00.0 Host bridge [0600]: Intel" },
      "mod_list" => { "identifier" => "mods-image-#{index % 3}", "data" => "ext4 xfs virtio_net nvme" }
    }
  }
end

def percentile(sorted, pct)
  return 0.0 if sorted.empty?

  sorted[[(sorted.size * pct / 100.0).ceil - 1, 0].max]
end

DatabaseHelpers.start_and_load_schema(DATABASE)
RmtRs.configure(database: DatabaseHelpers.settings(DATABASE))

queue = Queue.new
SYSTEMS.times { |i| queue << i }
THREADS.times { queue << nil }
latencies = Queue.new
errors = Queue.new
ticks = 0
running = true
ticker = Thread.new do
  while running
    ticks += 1
    sleep 0.001
  end
end

started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
cpu_before = Process.times
workers = Array.new(THREADS) do
  Thread.new do
    while (i = queue.pop)
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      begin
        RmtRs::Registration.announce_system(**announce_body(i))
        latencies << (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0)
      rescue StandardError => e
        errors << e.class.name
      end
    end
  end
end
workers.each(&:join)
elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
running = false
ticker.join
cpu = Process.times.utime + Process.times.stime - cpu_before.utime - cpu_before.stime

lat = Array.new(latencies.size) { latencies.pop }.sort
errs = Array.new(errors.size) { errors.pop }.tally
db = DatabaseHelpers.client(database: DATABASE)
rows = db.query("SELECT COUNT(*) AS n, COUNT(DISTINCT login) AS d FROM systems").first
profiles = db.query("SELECT COUNT(*) AS n FROM profiles").first["n"]
links = db.query("SELECT COUNT(*) AS n FROM system_profiles").first["n"]
ms = ->(s) { format("%.1f", s * 1000) }

puts <<~TABLE
  RmtRs announce demo: #{SYSTEMS} systems from #{THREADS} Ruby threads, pool #{DatabaseHelpers.settings(DATABASE)['pool']}, private MariaDB (durable commits)

  | measure | value |
  |---|---|
  | registered | #{lat.size} of #{SYSTEMS} |
  | errors | #{errs.empty? ? 'none' : errs.map { |k, v| "#{k}: #{v}" }.join(', ')} |
  | wall time | #{format('%.2f', elapsed)} s |
  | registrations/s | #{format('%.0f', lat.size / elapsed)} |
  | latency p50 / p90 / p99 / max | #{ms[percentile(lat, 50)]} / #{ms[percentile(lat, 90)]} / #{ms[percentile(lat, 99)]} / #{ms[lat.last || 0]} ms |
  | Ruby process CPU | #{format('%.2f', cpu)} s |
  | sibling thread ticks (1 ms sleeps) | #{ticks} of at most #{(elapsed * 1000).floor} |
  | systems rows / distinct logins | #{rows['n']} / #{rows['d']} |
  | profiles / system_profiles rows | #{profiles} / #{links} |
TABLE

ok = errs.empty? && rows["n"] == SYSTEMS && rows["d"] == SYSTEMS && links == 2 * SYSTEMS && profiles == 6
puts(ok ? "\nAll #{SYSTEMS} registrations written exactly once." : "\nMISMATCH: see the table above.")
exit(ok ? 0 : 1)
