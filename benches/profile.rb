# frozen_string_literal: true

# `script/herd profile`: where a Puma worker's CPU goes per request. The
# registration herd (and the PAYG herd, RMT with its public-cloud engines)
# of quick mode, on each path, with rbspy (Ruby frames) and perf (native
# frames), on-CPU samples only, attached to one of Puma's two workers for the
# whole herd. Each sample is put in a bucket (benches/support/profile_buckets.rb);
# a bucket's CPU per request is its share of the samples times the CPU the
# worker's Ruby threads used (/proc, per thread), over the requests that
# worker logged ("Completed" lines with its pid). RmtRs's own threads (tokio,
# no GVL) are their own row. Loaded by benches/herd.rb, whose helpers
# (seed_fleet, run_herd, PATHS, …) it uses; writes results/herd-profile/.
require_relative "support/profilers"
require_relative "support/profile_buckets"

module HerdProfile
  OUT = File.join(ROOT, "results", "herd-profile#{'-partial' if PARTIAL}")
  WORK = File.join(ROOT, "tmp/herd-profile")

  module_function

  def main
    started = Time.now
    abort "rbspy not found: script/herd installs it (cargo install rbspy --locked)" unless system(Profilers.rbspy, "--version", out: File::NULL)
    profiles = PATHS.flat_map do |path_name, path|
      RUNS.filter_map { |run| profile(path_name, path, run) }
    end
    write(started, profiles)
  end

  def profile(path_name, path, (label, options, _fault, server))
    engines = server&.dig(:engines)
    RmtServer.create_database(DATABASE)
    db = DatabaseHelpers.client(database: DATABASE)
    env = engines ? { "RMT_ENGINES" => "1", "RMT_RS_CLOUD_PROVIDER" => "1" } : {}
    RmtServer.run(database: DATABASE, rmt_rs: path[:rmt_rs], env: env, workers: 2, threads: 5) do |rmt|
      Front.run(rmt.port, env.slice("RMT_ENGINES")) do |front|
        DatabaseHelpers.clean_tables(db)
        Catalog.seed(db)
        Front.publish_repository_metadata(db)
        seed_fleet(db, FLEET, payg: options.include?("--payg"))
        sample(path_name, label, rmt, front, options)
      end
    end
  ensure
    db&.close
  end

  # One herd with the samplers on the first worker.
  def sample(path_name, label, rmt, front, options)
    worker = rmt.worker_pids.first
    puma_pids = [rmt.pid, *rmt.worker_pids]
    dir = File.join(WORK, "#{path_name}-#{label}".downcase.gsub(/[^a-z0-9]+/, "-"))
    log_offset = File.size(rmt.rails_log)
    group_before = puma_pids.sum { |pid| ProcessStats.cpu_seconds(pid) }
    threads_before = Profilers.thread_cpu(worker)
    session = Profilers.start(worker, dir)
    sleep 1 # rbspy attaches
    result = run_herd(front.client_options, options)
    threads_after = Profilers.thread_cpu(worker)
    Profilers.stop(session)
    group_cpu = puma_pids.sum { |pid| ProcessStats.cpu_seconds(pid) } - group_before
    served = File.read(rmt.rails_log).byteslice(log_offset..).scan(/ ##{worker}\]\s+INFO -- : (?:\[[^\]]*\] )*Completed /).size
    { "path" => path_name, "run" => label, "requests_sent" => result["all"]["ok"] + result["all"]["failed"],
      "failed" => result["all"]["failed"], "puma_cpu_s" => group_cpu.round(3), "worker_requests" => served,
      "worker_cpu_s" => Profilers.cpu_by_kind(threads_before, threads_after).transform_keys(&:to_s),
      "rbspy" => ProfileBuckets.read(session[:rbspy]), "perf" => native_split(Profilers.perf_samples(session)) }
  end

  # perf's samples by what runs natively: per kind of thread, the shared
  # object.
  def native_split(samples)
    samples.each_with_object(Hash.new(0)) do |((comm, dso, sym), count), split|
      kind = Profilers.thread_kind(comm)
      what = case dso
             # Debian's libruby is stripped of its static symbols (the GC's among
             # them): the interpreter and its collector are one row.
             when /libruby/ then "libruby (interpreter, core classes, GC)"
             when /kallsyms|vmlinux/ then "kernel"
             when /rmt_rs\.so/ then "rmt_rs.so (binding and core)"
             when /libc\.so|ld-linux|libm\.so|libpthread/ then "libc, loader"
             when /generator\.so|parser\.so/ then "json (C extension)"
             when /mysql/ then "mysql2, libmariadb"
             when /puma_http11/ then "puma_http11 (HTTP parser)"
             else "other: #{dso}"
             end
      split["#{kind}\t#{what}"] += count
    end
  end

  def ms_per_request(profile)
    ruby_cpu = profile["worker_cpu_s"].fetch("ruby", 0.0)
    samples = profile["rbspy"].values.sum
    requests = [profile["worker_requests"], 1].max
    buckets = profile["rbspy"].transform_values { |n| samples.zero? ? 0.0 : ruby_cpu * 1000.0 * n / samples / requests }
    buckets["RmtRs: Rust core on its own threads (tokio, no GVL)"] = profile["worker_cpu_s"].fetch("rust", 0.0) * 1000.0 / requests
    buckets
  end

  def native_ms(profile)
    requests = [profile["worker_requests"], 1].max
    profile["perf"].group_by { |key, _| key.split("\t").first }.flat_map do |kind, pairs|
      total = pairs.sum(&:last)
      cpu = profile["worker_cpu_s"].fetch(kind, 0.0)
      pairs.map { |key, n| [key.sub("\t", " threads: "), cpu * 1000.0 * n / total / requests] }
    end.to_h
  end

  def column(profile)
    "#{profile['run'].sub('registration herd', 'reg.').sub(' (pubcloud engines)', ', engines')}: #{profile['path']}"
  end

  def bucket_table(profiles, values)
    rows = values.flat_map(&:keys).uniq.sort_by { |bucket| -values.map { |v| v.fetch(bucket, 0.0) }.max }
    header = "| ms CPU per request | #{profiles.map { |p| column(p) }.join(' | ')} |\n|---|#{'---|' * profiles.size}\n"
    body = rows.map { |bucket| "| #{bucket} | #{values.map { |v| format('%.2f', v.fetch(bucket, 0.0)) }.join(' | ')} |" }
    total = "| **all, the profiled worker** | #{values.map { |v| format('%.2f', v.values.sum) }.join(' | ')} |"
    header + [*body, total].join("\n")
  end

  def overview(profiles)
    rows = profiles.map do |p|
      worker_ms = p["worker_cpu_s"].values.sum * 1000.0 / [p["worker_requests"], 1].max
      "| #{p['run']} | #{p['path']} | #{fmt(p['requests_sent'])} | #{p['failed']} | " \
        "#{format('%.1f', p['puma_cpu_s'] * 1000.0 / p['requests_sent'])} | #{fmt(p['worker_requests'])} | " \
        "#{format('%.2f', worker_ms)} | #{fmt(p['rbspy'].values.sum)} | #{fmt(p['perf'].values.sum)} |"
    end
    "| run | path | requests sent | failed | Puma CPU ms per request sent (both workers, master) | " \
      "requests the profiled worker logged | its CPU ms per logged request | rbspy samples | perf samples |\n" \
      "|---|---|---|---|---|---|---|---|---|\n#{rows.join("\n")}"
  end

  def write(started, profiles)
    FileUtils.mkdir_p(OUT)
    File.write(File.join(OUT, "results.json"),
               JSON.pretty_generate("started" => started.utc.iso8601, "profiles" => profiles,
                                    "rbspy_rate" => Profilers::RBSPY_RATE, "perf_rate" => Profilers::PERF_RATE))
    report = HerdProfile.report(started, profiles)
    File.write(File.join(OUT, "report.md"), report)
    puts report
    puts "\n(#{(Time.now - started).round} s; written to #{OUT})"
  end
end

require_relative "support/profile_report"
if ENV["HERD_RERENDER"]
  saved = JSON.parse(File.read(File.join(HerdProfile::OUT, "results.json")))
  HerdProfile.write(Time.parse(saved["started"]), saved["profiles"])
else
  HerdProfile.main
end
