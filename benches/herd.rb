# frozen_string_literal: true

# The thundering-herd comparison: the real RMT (script/rmt server) in production
# mode under Puma with RMT's packaged settings (2 workers x 5 threads, pool 5),
# once on RMT's Ruby path and once with RmtRs, on the private durable MariaDB, hit by the same
# simulated SUSEConnect instances (benches/herd, in Rust). Prints a Markdown
# table and writes it with the raw figures to results/herd-<mode>/, and the
# newest complete run's report to results/LATEST.md (benches/support/latest.rb).
#
#   ruby -Ilib benches/herd.rb [quick|full]
require "json"
require "time"
require "open3"
require "fileutils"
require "etc"
require_relative "../spec/support/database"
require_relative "../spec/support/rmt_server"
require_relative "../spec/support/catalog"
require_relative "support/process_stats"
require_relative "support/svg_chart"
require_relative "support/faults"
require_relative "support/latest"
require_relative "support/front"
require_relative "support/report_tables"
require_relative "support/targets"
require_relative "support/scrape"
require_relative "support/overload"

MODE = ARGV[0] || ENV.fetch("HERD_MODE", "quick")
ROOT = DatabaseHelpers::ROOT
HERD = File.join(ENV.fetch("CARGO_TARGET_DIR", File.join(ROOT, "target")), "release/rmt-rs-herd")
DATABASE = "rmt_rs_herd"
# The registered fleet's requests a second under every registration herd
# (below); HERD_FLEET_RATE: another rate, e.g. to profile the fleet's
# requests, nginx's auth checks among them, with many more samples.
FLEET_RATE = Integer(ENV.fetch("HERD_FLEET_RATE", "10"))
# A run of part of a mode, or with the fleet at another rate, is written apart
# (`-partial`: not committed, not the README's, not LATEST.md's).
PARTIAL = ENV["HERD_ONLY"] || FLEET_RATE != 10 || (MODE == "overload" && !Overload.whole_curve?)
RESULTS = File.join(ROOT, "results", "herd-#{MODE}#{'-partial' if PARTIAL}")
# RMT's Prometheus metrics on, scraped around each run (benches/support/scrape.rb).
METRICS = ENV.fetch("HERD_METRICS", MODE == "quick" ? "1" : "0") == "1"

# Each run: [label, herd options, fault, server]. Every request goes through
# nginx with TLS, configured as RMT's package configures it (script/nginx), on a
# new connection as SUSEConnect opens one per request. A herd arrives in bursts
# of BURST instances (images an autoscaling group boots at once, no client
# jitter), the bursts evenly over its window whatever the server does; a sweep
# keeps `concurrency` instances going. A registration is what SUSEConnect does
# on a fresh SLES 15 SP6 cloud instance: announce, activate SLES, zypper's
# refresh of its service, the product tree, then each recommended module
# (Basesystem, Server Applications) activated and its service refreshed:
# 8 requests. `server`: {engines: true} for RMT with its public-cloud engines,
# {workers:, threads:} for another Puma size (default RMT's 2 x 5).
BURST = 25
# The registered fleet working in the background of every registration herd:
# this many systems (seeded, each with SLES and two modules activated) send
# SUSEConnect's keepalive or zypper's service refresh, FLEET_RATE a second.
FLEET = MODE == "full" ? 20_000 : 2_000

def sweep(scenario, concurrency, instances)
  ["#{scenario} x#{concurrency}", %W[--mode sweep --scenario #{scenario} --instances #{instances} --concurrency #{concurrency}]]
end

def herd(instances, seconds)
  ["registration herd #{instances.to_s.reverse.scan(/\d{1,3}/).join(',').reverse} in #{seconds} s",
   %W[--mode herd --scenario registration --instances #{instances} --spread-ms #{seconds * 1000} --burst #{BURST}
      --fleet #{FLEET} --fleet-rate #{FLEET_RATE}]]
end

# The same herd from images with connect-ng 1.13 (SLES 15 SP6 as first
# shipped): one kept-alive connection per instance, no profiles.
def old_client(instances, seconds)
  label, options = herd(instances, seconds)
  ["#{label}, connect-ng 1.13", options + %w[--client 1.13]]
end

# The same herd on another Puma size, for the scaling table.
def scaled(instances, seconds, workers, threads)
  label, options = herd(instances, seconds)
  ["#{label}, Puma #{workers} x #{threads}", options, nil, { workers: workers, threads: threads }]
end

# The same herd from pay-as-you-go cloud instances, as registercloudguest
# registers them: its health check, SUSEConnect with the instance data (the
# sequence above, each service refresh through the susecloud plugin: its
# credential check, then the refresh with X-Instance-Data), the product tree
# by query string, then `SUSEConnect -p` for the Public Cloud module the image
# has installed (update, activation, refresh): 17 requests. Against RMT with
# its public-cloud engines (RMT_ENGINES=1) behind their nginx configuration
# (repositories after /api/auth/check), RMT's example provider finding
# instance ids as a cloud's provider does. One server: no sibling to fail
# over to (registercloudguest deregisters and gives up).
def payg(instances, seconds)
  label, options = herd(instances, seconds)
  ["PAYG #{label} (pubcloud engines)", options + %w[--payg 1], nil, { engines: true }]
end

# The same PAYG herd in a region whose first server is down (nothing listens
# there): registercloudguest's health check finds no answer and it registers
# with the next server; the fleet's systems that belong to the dead server
# fail (their rows are apart from the herd's).
def first_sibling_down(run)
  label, options, fault, server = run
  ["#{label}, the region's first server down", options, fault, server, :first_sibling_down]
end

# The same PAYG herd in a region of three RMT servers with RmtRs (one MariaDB,
# each server behind its own nginx with its own address, as registercloudguest
# knows a region's servers), whose first server, the one every instance asks
# first, is small (Puma 1 x 1, REGION_SIZES) so that the herd saturates it;
# every server with `health_when_saturated: health` (seconds), or without the
# setting (health nil): RMT's health check answering "online" whatever the
# first server's queue.
REGION_SIZES = [{ workers: 1, threads: 1 }, { workers: 2, threads: 5 }, { workers: 2, threads: 5 }].freeze

def first_saturated(run, health)
  label, options, fault, server = run
  setting = health ? "health_when_saturated: #{health}" : "no health setting"
  ["#{label}, the region's first server saturated, #{setting}", options, fault, server.merge(region: true, health: health)]
end

# A sweep straight to Puma, without nginx and TLS: the ceiling of what
# Puma answers.
def direct(run)
  label, options = run
  ["#{label}, straight to Puma", options, nil, nil, :puma]
end

def burst(instances)
  ["burst of #{instances.to_s.reverse.scan(/\d{1,3}/).join(',').reverse} announces at once",
   %W[--mode herd --scenario announce --instances #{instances} --spread-ms 0]]
end

def fault(what, damage)
  ["#{what}, 4 s into 1,500 announces", %w[--mode herd --scenario announce --instances 1500 --spread-ms 15000], damage]
end

# The floors of a request's cost in this Puma behind nginx, for issue 30's
# targets (benches/support/targets.rb): RMT's one-line health check (the least
# a request answered in RMT's Rails costs, with its log lines and
# notifications), and the harness's answer at the top of the middleware stack
# (RMT_RS_BARE: Puma, nginx's connection, no Rails).
FLOORS = [sweep("health", 64, 1000), sweep("bare", 64, 1000)].freeze

RUNS = {
  "quick" => [herd(200, 10), old_client(200, 10), sweep("announce", 64, 1000),
              direct(sweep("announce", 64, 1000)), sweep("activation", 64, 300), *FLOORS, payg(200, 10),
              first_sibling_down(payg(100, 10))],
  # 1,500 announces over 15 s (100 a second, no retries); 4 s in, a fault
  # lasts 5 s (8 s for the interrupts) while the herd keeps arriving.
  "faults" => [
    burst(1000), burst(5000),
    fault("a transaction holds the end of systems (lock wait timeout #{Faults::LOCK_WAIT_TIMEOUT_S} s)", Faults.lock_wait(DATABASE, after: 4, hold: 5)),
    fault("connections cut, none free", Faults.no_connections(DATABASE, after: 4, hold: 5)),
    fault("deadlocks, the registration the victim", Faults.deadlocks(DATABASE, after: 4, hold: 5)),
    fault("systems locked, Rack::Timeout #{Faults::RACK_TIMEOUT_S} s", Faults.locked_table(DATABASE, after: 4, hold: 8)),
    ["hostile announces, 12 kinds, 1,200 over 10 s", %w[--mode herd --scenario hostile --instances 1200 --spread-ms 10000]],
    fault("MariaDB restarted", Faults.restart(after: 4))
  ],
  # Several RMT servers on one Galera cluster (script/galera), one server per
  # node behind one nginx, against one server on one node of the same cluster.
  "galera" => [herd(200, 10), sweep("announce", 64, 1000)],
  # The overload curve (issue 31, benches/support/overload.rb): registrations
  # from 1,000 to 10,000 a minute, 60 s each; past about 2,500 a minute (what
  # one RMT on 2 cores registers, `script/herd full`) requests wait in Puma's
  # queues until their clients give up.
  "overload" => Overload::LOADS.map { |per_minute| herd(Overload.instances(per_minute), Overload::SECONDS) },
  # Issue 31: a region whose first server the PAYG herd saturates, RmtRs's
  # health check telling the truth (HERD_HEALTH seconds, default 1: below
  # registercloudguest's 2 s) or RMT's. 600 instances in 10 s: the quick
  # herd's 200 leave the first server's queue under a second on this machine.
  "region" => [first_saturated(payg(600, 10), nil),
               first_saturated(payg(600, 10), Float(ENV.fetch("HERD_HEALTH", "1")).then { |s| s == s.floor ? s.to_i : s })],
  # The profiled runs (benches/profile.rb).
  "profile" => [herd(200, 10), payg(200, 10)],
  "full" => [
    herd(1000, 60), herd(5000, 60), herd(10_000, 60), old_client(5000, 60), payg(1000, 60), payg(5000, 60),
    *[16, 64, 256, 1024].flat_map { |c| [sweep("announce", c, 3000), sweep("activation", c, 1000)] },
    direct(sweep("announce", 64, 3000)), *FLOORS,
    # The scaling table: one herd at other Puma sizes.
    *[[1, 5], [2, 5], [4, 5], [2, 16]].map { |workers, threads| scaled(2000, 60, workers, threads) }
  ]
}.fetch(MODE) { abort "usage: benches/herd.rb [quick|full|faults|galera|overload|region|profile]" }
# HERD_ONLY=regexp: only the runs whose label matches (while working on one).
RUNS.select! { |label, _| label.match?(Regexp.new(ENV["HERD_ONLY"], Regexp::IGNORECASE)) } if ENV["HERD_ONLY"]
# Faults mode runs everything three times (one figure per fault says little);
# the main table shows the first round, the spread table all of them.
REPEAT = Integer(ENV.fetch("HERD_REPEAT", MODE == "faults" ? 3 : 1))

# The paths compared: RMT's own and RmtRs through RMT's controllers.
PATHS = {
  "Ruby (RMT)" => { rmt_rs: false },
  "RmtRs" => { rmt_rs: true },
  # The overload curve also runs RmtRs with its opt-in shedding of new
  # announces (`rmt_rs: shed_announces: 3`, through script/rmt's RMT_RS_SETTINGS).
  **(MODE == "overload" ? { Overload::SHEDDING => { rmt_rs: true, env: { "RMT_RS_SETTINGS" => "shed_announces: 3" } } } : {})
}.freeze
# HERD_PATHS=regexp: only the paths whose name matches (overload mode: both
# paths by default, Overload::PATHS; region mode: RmtRs's, whose health check
# it is about).
wanted = { "overload" => Overload::PATHS, "region" => "\\ARmtRs\\z" }.fetch(MODE, ".")
PATHS_WANTED = ENV.fetch("HERD_PATHS", wanted)
PATHS_MEASURED = PATHS.select { |name, _| name.match?(Regexp.new(PATHS_WANTED)) }
CEILING_REGISTRATIONS = MODE == "full" ? 5000 : 1000

def mariadb_pid
  Integer(File.read(File.join(DatabaseHelpers::DB_DIR, "mariadbd.pid")).strip)
end

# Where each request's time went inside Rails (the harness's RMT_RS_TIMINGS
# lines, spec/rmt/support/harness_initializer.rb), per action: requests and
# mean milliseconds of the whole request in Rails (wall, CPU), parameter
# parsing, and the action's duration, CPU, ActiveRecord, RmtRs and views.
TIMINGS = File.join(ROOT, "tmp/herd-timings/request")
TIMING_COLUMNS = %w[total total_cpu params duration cpu active_record rmt_rs views].freeze
FileUtils.mkdir_p(File.dirname(TIMINGS))

def server_time
  lines = Dir["#{TIMINGS}.*"].flat_map { |file| File.readlines(file, chomp: true) }
  lines.map { |line| line.split("\t", -1) }.group_by(&:first).transform_values do |rows|
    figures = rows.map { |row| row[2, TIMING_COLUMNS.size].map(&:to_f) }
    means = figures.transpose.map { |column| (column.sum / figures.size).round(2) }
    { "requests" => rows.size }.merge(TIMING_COLUMNS.zip(means).to_h)
  end
end

# The background fleet's systems, with the credentials and tokens the
# simulator's fleet uses (benches/herd/src/fleet.rs), each with FLEET_SERVICES
# activated; PAYG instances (with their instance data) for a PAYG herd.
# Returns how many.
FLEET_SERVICES = [2600, 2601, 2602].freeze

def seed_fleet(db, size, payg:)
  size.times.each_slice(1000) do |members|
    values = members.map do |m|
      instance_data = payg ? "'<document>{\"instanceId\":\"i-#{format('%017x', m)}\",\"region\":\"eu-central-1\"}</document>'" : "NULL"
      "('SCC_f1ee7#{format('%027x', m)}', 'fleet#{format('%011x', m)}', 'fleet-#{m}', '{}', " \
        "'f1ee7000-0000-4000-8000-#{format('%012x', m)}', #{payg ? 1 : 0}, #{instance_data}, " \
        "NOW() - INTERVAL 1 DAY, NOW() - INTERVAL 1 DAY, NOW() - INTERVAL 1 DAY, NOW() - INTERVAL 1 DAY)"
    end
    db.query("INSERT INTO systems (login, password, hostname, system_information, system_token, proxy_byos_mode, " \
             "instance_data, registered_at, last_seen_at, created_at, updated_at) VALUES #{values.join(', ')}")
  end
  db.query("INSERT INTO activations (service_id, system_id, created_at, updated_at) " \
           "SELECT services.id, systems.id, NOW(), NOW() FROM systems JOIN services " \
           "ON services.id IN (#{FLEET_SERVICES.join(', ')}) WHERE systems.login LIKE 'SCC\\_f1ee7%'")
  size
end

def rows(db, table)
  db.query("SELECT COUNT(*) AS n FROM #{table}").first["n"]
end

# The herd's systems' profile links (the fleet's keepalives link profiles too).
def herd_profile_links(db)
  db.query("SELECT COUNT(*) AS n FROM system_profiles JOIN systems ON systems.id = system_profiles.system_id " \
           "WHERE systems.login NOT LIKE 'SCC\\_f1ee7%'").first["n"]
end

# The simulator's figures, with the CPU it used itself (it shares the machine).
def run_herd(client_options, options)
  before = Process.times
  out, err, status = Open3.capture3(HERD, *client_options, *options)
  abort "rmt-rs-herd failed: #{err}" unless status.success?
  after = Process.times
  JSON.parse(out).merge("client_cpu_s" => (after.cutime + after.cstime - before.cutime - before.cstime).round(2))
end

# Each group of runs on the server it needs: RMT alone at RMT's packaged Puma
# size, RMT with its public-cloud engines, other Puma sizes.
def measure(path_name, path)
  return GALERA_NODES.flat_map { |nodes| measure_on_galera(path_name, path, nodes) } if MODE == "galera"

  RUNS.group_by { |run| run[3] || {} }.flat_map do |server, runs|
    next measure_region(path_name, path, runs, server) if server[:region]

    measure_on(path_name, path, runs, server)
  end
end

def measure_on(path_name, path, runs, server_options)
  RmtServer.create_database(DATABASE)
  db = DatabaseHelpers.client(database: DATABASE)
  env = server_options[:engines] ? { "RMT_ENGINES" => "1", "RMT_RS_CLOUD_PROVIDER" => "1" } : {}
  env = env.merge("RMT_RS_TIMINGS" => TIMINGS, "RMT_RS_BARE" => "1").merge(path.fetch(:env, {}))
  rmt_rs = path[:rmt_rs]
  # Faults mode: Rack::Timeout ends requests after 5 s.
  env = env.merge("RACK_TIMEOUT" => Faults::RACK_TIMEOUT_S.to_s) if MODE == "faults"
  size = { workers: server_options.fetch(:workers, 2), threads: server_options.fetch(:threads, 5) }
  metrics = RmtServer.free_port if METRICS
  env = env.merge(Scrape.env(metrics)) if metrics
  RmtServer.run(database: DATABASE, rmt_rs: rmt_rs, env: env, **size) do |server|
    Front.run(server.port, env.slice("RMT_ENGINES")) do |front|
      measure_runs(path_name, runs, [server], front, db, size, metrics: metrics)
    end
  end
ensure
  db&.close
end

# A region (first_saturated): REGION_SIZES' servers with RMT's public-cloud
# engines on one database, each behind its own nginx.
def measure_region(path_name, path, runs, server_options)
  RmtServer.create_database(DATABASE)
  db = DatabaseHelpers.client(database: DATABASE)
  env = { "RMT_ENGINES" => "1", "RMT_RS_CLOUD_PROVIDER" => "1", "RMT_RS_TIMINGS" => TIMINGS }.merge(path.fetch(:env, {}))
  env["RMT_RS_SETTINGS"] = "health_when_saturated: #{server_options[:health]}" if server_options[:health]
  servers = REGION_SIZES.each_with_index.map do |size, i|
    RmtServer.new(database: DATABASE, rmt_rs: path[:rmt_rs], env: env, log: File.join(ROOT, "tmp/rmt-region-#{i + 1}.log"),
                  **size)
  end
  servers.each(&:start)
  Front.region(servers.map(&:port), env.slice("RMT_ENGINES")) do |region|
    measure_runs(path_name, runs, servers, region, db, REGION_SIZES.first)
  end
ensure
  servers&.each(&:stop)
  db&.close
end

# Galera mode: the cluster's three nodes (script/galera), and how many of
# them get an RMT server (RMT's packaged Puma size each, on its own node,
# behind one nginx that takes turns): 1, then 3.
GALERA = File.join(ROOT, "script/galera")
GALERA_NODES = [1, 3].freeze

def galera_sockets
  system(GALERA, "start", exception: true)
  `#{GALERA} sockets`.strip.split(",")
end

def galera_pids
  (1..3).map { |n| Integer(File.read(File.join(ROOT, "tmp/galera/node#{n}/mariadbd.pid")).strip) }
end

GALERA_NOTE = <<~MD.tr("\n", " ").strip
  Galera mode: the database is a three-node MariaDB Galera cluster on this
  machine (`script/galera`: durable, rsync state transfer, RmtRs's sessions with
  `wsrep_sync_wait=1`). "1 node": one RMT server on node 1 (the other two nodes
  still apply every write); "3 nodes": three RMT servers, one per node, each at
  RMT's packaged size, behind one nginx that takes turns per request, so each
  request of a registration reaches another server than the one before (a
  failover at every step). MariaDB CPU is the three nodes' together. Everything
  shares two cores: three servers cannot run faster than one here; the figures
  show what a shared cluster costs per request and that nothing fails when a
  client moves between servers, not how a region scales.
MD

def measure_on_galera(path_name, path, nodes)
  sockets = galera_sockets
  system({ "RMT_DB_SOCKET" => sockets.first }, RmtServer::SCRIPT, "database", DATABASE, exception: true,
                                                                                      out: File::NULL)
  db = Mysql2::Client.new(socket: sockets.first, username: "root", database: DATABASE, encoding: "utf8mb4")
  env = { "RMT_RS_TIMINGS" => TIMINGS }.merge(path.fetch(:env, {}))
  servers = sockets.first(nodes).each_with_index.map do |socket, i|
    RmtServer.new(database: DATABASE, rmt_rs: path[:rmt_rs], env: env.merge("RMT_DB_SOCKET" => socket),
                  log: File.join(ROOT, "tmp/rmt-#{path[:rmt_rs] ? 'rust' : 'ruby'}-node#{i + 1}.log"))
  end
  servers.each(&:start)
  Front.run(servers.map(&:port).join(","), {}) do |front|
    label = "#{path_name}, #{nodes} node#{'s' if nodes > 1}"
    measure_runs(label, RUNS, servers, front, db, { workers: 2, threads: 5 }, db_pids: -> { galera_pids })
  end
ensure
  servers&.each(&:stop)
  db&.close
end

# `metrics`: the port of RMT's Prometheus exporter, when RMT's metrics are on.
def measure_runs(path_name, runs, servers, front, db, size, db_pids: -> { [mariadb_pid] }, metrics: nil)
  server = servers.first
  puma_pids = servers.flat_map { |s| [s.pid, *s.worker_pids] }
  (0...REPEAT).to_a.product(runs).map do |round, (label, options, fault, _server, via)|
    run_started = Time.now
    DatabaseHelpers.clean_tables(db)
    Catalog.seed(db)
    Front.publish_repository_metadata(db)
    fleet = options.include?("--fleet") ? seed_fleet(db, FLEET, payg: options.include?("--payg")) : 0
    log_offsets = servers.map { |s| File.size(s.rails_log) }
    FileUtils.rm_f(Dir["#{TIMINGS}.*"])
    scraped = Scrape.read(metrics) if metrics
    # CPU counts from here to the end of the run's work: not the exporter's
    # scrapes around it, nor the idle seconds it waits before the last one.
    db_pid = db_pids.call
    cpu_before = [puma_pids, front.pids, db_pid].map { |pids| pids.sum { |pid| ProcessStats.cpu_seconds(pid) } }
    fault_thread = Thread.new(&fault) if fault
    # A ceiling run goes to Puma straight, over plain HTTP.
    client_options = case via
                     when :puma then ["--address", "127.0.0.1:#{server.port}", "--host", Front::HOST]
                     when :first_sibling_down then front.client_options.tap { |o| o[1] = "#{Front.dead_address},#{o[1]}" }
                     else front.client_options
                     end
    result = run_herd(client_options, options)
    # Overload mode: what the herd left in Puma's queues runs before the rows are counted.
    result.merge!(Overload.drain(puma_pids) { [rows(db, "systems"), rows(db, "activations")] }) if MODE == "overload"
    observed = fault_thread&.value
    puma_cpu, nginx_cpu, db_cpu = [puma_pids, front.pids, db_pid].zip(cpu_before).map do |pids, before|
      (pids.sum { |pid| ProcessStats.cpu_seconds(pid) } - before).round(2)
    end
    db = DatabaseHelpers.client(database: DATABASE) if fault # the fault may have cut the old session
    if metrics
      sleep Scrape::SETTLE_S
      result["metrics"] = Scrape.run(scraped, Scrape.read(metrics), server.worker_pids)
    end
    result.merge(
      "server_errors" => servers.zip(log_offsets).map { |s, offset| s.errors_logged(offset) }
                               .reduce { |a, b| a.merge(b) { |_, x, y| x + y } },
      "path" => path_name, "run" => label, "round" => round, "puma" => size.transform_keys(&:to_s),
      "puma_cpu_s" => puma_cpu,
      "nginx_cpu_s" => nginx_cpu,
      # A restarted server is a new process: its CPU is not comparable.
      "mariadb_cpu_s" => db_pid == db_pids.call ? db_cpu : nil,
      "fault_observed" => observed,
      "fleet" => fleet,
      "server_time" => server_time,
      "systems_written" => rows(db, "systems") - fleet,
      "profile_links_written" => herd_profile_links(db),
      "profiles_written" => rows(db, "profiles"),
      "activations_written" => rows(db, "activations") - (fleet * FLEET_SERVICES.size),
      "puma_peak_rss_mib" => puma_pids.map { |pid| ProcessStats.peak_rss_mib(pid) },
      "wall_s" => (Time.now - run_started).round(1)
    )
  end
end

# Faults mode runs on a MariaDB whose lock waits end after 2 s instead of 50
# (set at start, so it outlives the restart fault); afterwards the private
# server gets its usual settings back.
def with_mariadb_for(mode)
  return yield unless mode == "faults"

  ENV["RMT_RS_LOCK_WAIT_TIMEOUT"] = Faults::LOCK_WAIT_TIMEOUT_S.to_s
  Faults.mariadb("stop")
  yield
ensure
  if mode == "faults"
    ENV.delete("RMT_RS_LOCK_WAIT_TIMEOUT")
    Faults.mariadb("stop")
    Faults.mariadb("start")
  end
end

# The layers without Puma and HTTP (benches/ceilings.rb), 10 at a time like
# Puma's 2 x 5 threads.
def ceilings
  out, err, status = Open3.capture3({ "RAILS_ENV" => "production", "RMT_DATABASE" => DATABASE },
                                    File.join(ROOT, "script/rmt"), "exec", "ruby", File.join(__dir__, "ceilings.rb"),
                                    DATABASE, CEILING_REGISTRATIONS.to_s, "10")
  abort "ceilings failed: #{err}" unless status.success?
  JSON.parse(out.lines.last)
end

# `script/herd profile`: the same herds with samplers on a worker (benches/profile.rb).
if MODE == "profile"
  require_relative "profile"
  return
end

if ENV["HERD_RERENDER"]
  # The report again from the figures of the last run (results.json), after a
  # change to how the report is written: nothing is measured.
  saved = JSON.parse(File.read(File.join(RESULTS, "results.json")))
  started = Time.parse(saved["started"])
  results, layers, machine = saved.values_at("results", "ceilings", "machine")
else
  abort "build the simulator first: cargo build --release --manifest-path benches/herd/Cargo.toml" unless File.executable?(HERD)
  started = Time.now
  results = with_mariadb_for(MODE) { PATHS_MEASURED.flat_map { |name, path| measure(name, path) } }
  results = results.sort_by.with_index { |r, i| [r["round"], RUNS.index { |label, _| label == r["run"] }, i] }
  layers = %w[faults galera overload region].include?(MODE) ? nil : ceilings
  machine = "#{Etc.nprocessors} cores, #{(File.read('/proc/meminfo')[/MemTotal:\s+(\d+)/, 1].to_i / 1024.0 / 1024).round} GiB, " \
            "#{File.read('/etc/os-release')[/PRETTY_NAME="(.*)"/, 1]}, Ruby #{RUBY_VERSION}, " \
            "#{`mariadbd --version`.strip[/Ver \S+/]}"
end
first_round = results.select { |r| r["round"].zero? }
report = <<~MD
  ## Herd comparison (#{MODE}), #{started.utc.strftime('%Y-%m-%d %H:%M UTC')}

  Machine: #{machine}. Host: the real RMT 2.28 (SUSE/rmt 92c4c790) in production
  mode (`script/rmt server`: RMT's packaged settings, Puma 2 workers x 5 threads,
  pool 5, Rails log level info), on RMT's Ruby path and with RmtRs,
  behind nginx with TLS as RMT's package configures it (`script/nginx`: RMT's
  nginx-https.conf, a CA and server certificate made at run time); MariaDB
  durable (`innodb_flush_log_at_trx_commit=1`). Command: `#{MODE == 'overload' ? Overload.command(first_round) : "script/herd #{MODE}"}`.
  Clients as SUSEConnect 1.24 (connect-ng) and zypper behave: a new TCP and TLS
  connection for every request, announce with `Authorization: Token token=` and
  an empty `System-Token`, SLES, zypper's refresh of its service, the product
  tree, the recommended modules (Basesystem, Server Applications) each with its
  service refresh, no keepalive; "connect-ng 1.13" runs keep one connection per
  instance and send no profiles. PAYG herds as registercloudguest drives
  SUSEConnect (health check, the susecloud plugin's credential check before
  each service refresh, the tree by query string, `SUSEConnect -p` for the
  Public Cloud module: update, activation, refresh). Herd instances arrive
  #{BURST} at a time. Under every registration herd a registered fleet of
  #{fmt(FLEET)} systems keeps working: #{fmt(first_round.filter_map { |r| r['fleet_rate'] if r['fleet'].to_i.positive? }.max || FLEET_RATE)} requests a second, SUSEConnect's keepalive
  (profiles by identifier) and `zypper refresh` (the service, then each enabled
  repository's metadata from nginx; with the public-cloud engines, after
  nginx's `/api/auth/check` subrequest and the plugin's credential check) in
  turn ("fleet" rows of the endpoint table; the herd's figures leave them out).
  Latency counts from when each request was due (a herd instance's arrival
  time for its first request, the previous answer for the next ones). "ok/s"
  and the percentiles are over all requests of a run; "all registered after"
  is the time until the last instance had every step answered. CPU per request
  is each process group's CPU time over the run (from its start to the end of
  its work, the metrics exporter's scrapes around it left out) divided by the
  requests sent.

  #{faults_summary(results)}

  #{MODE == 'galera' ? GALERA_NOTE : ''}

  #{MODE == 'overload' ? Overload.report(first_round) : ''}

  #{table(first_round)}

  #{%w[quick full].include?(MODE) ? Targets.table(first_round) : ''}

  #{spread_table(results)}

  #{hostile_table(first_round)}

  #{scaling_table(first_round)}

  #{region_table(first_round)}

  #{server_time_table(first_round)}

  #{first_round.any? { |r| r['scenario'] == 'registration' } ? "Per endpoint, registration herds:\n\n#{endpoint_table(first_round)}" : ''}

  #{METRICS && first_round.any? { |r| r['metrics'] } ? "RMT's Prometheus metrics (RMT's metrics on: `scc: metrics: enabled`; yabeda-puma-plugin's exporter scraped before and after each run), registration herds: for each action RmtRs owns, the requests the herd sent against the answers `rmt_rs_answers_total` counted:\n\n#{Scrape.table(first_round)}" : ''}

  Charts per run (latency distribution, answers per second over time): the
  `*.svg` files beside this report.

  #{layers ? "Ceilings, announce only, #{fmt(CEILING_REGISTRATIONS)} registrations 10 at a time (two profiles\n" \
              "each; the MariaDB row is one durable single-row insert per commit):\n\n#{ceilings_table(layers, first_round)}" : ''}
MD
FileUtils.mkdir_p(RESULTS)
FileUtils.rm_f(Dir[File.join(RESULTS, "*.svg")]) # runs renamed or dropped leave no stale charts
# Charts per run: latency distribution (p1..p100) and answers per second.
RUNS.each_with_index do |(label, _), index|
  runs = first_round.select { |r| r["run"] == label }
  slug = format("%02d-%s", index + 1, label.downcase.gsub(/[^a-z0-9]+/, "-").gsub(/-+\z/, ""))
  latency = SvgChart.line(
    title: "#{label}: latency distribution", x_label: "percentile", y_label: "latency, ms (log)", log_y: true,
    series: runs.to_h { |r| [r["path"], r["all"]["percentiles_ms"].each_with_index.map { |ms, i| [i + 1, ms] }] }
  )
  throughput = SvgChart.line(
    title: "#{label}: answers per second", x_label: "seconds since start", y_label: "successful answers / s",
    series: runs.to_h { |r| [r["path"], r["completions_per_second"].each_with_index.map { |n, s| [s, n] }] }
  )
  File.write(File.join(RESULTS, "#{slug}-latency.svg"), latency) if latency
  File.write(File.join(RESULTS, "#{slug}-throughput.svg"), throughput) if throughput
end
curve = MODE == "overload" && Overload.chart(first_round)
File.write(File.join(RESULTS, "curve.svg"), curve) if curve
File.write(File.join(RESULTS, "report.md"), report)
File.write(File.join(RESULTS, "results.json"), JSON.pretty_generate("machine" => machine, "mode" => MODE,
                                                                     "started" => started.utc.iso8601,
                                                                     "results" => results,
                                                                     "ceilings" => layers))
latest = Latest.write
Targets.write_readme(first_round, started, machine) if MODE == "quick" && !PARTIAL
puts report
puts "\n(results/LATEST.md: the report of results/#{latest}/)" if latest
puts "\n(#{(Time.now - started).round} s; written to #{RESULTS})"
