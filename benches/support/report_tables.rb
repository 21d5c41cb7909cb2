# frozen_string_literal: true

# The herd report's tables and notes (benches/herd.rb), rendered from the
# runs' figures as results.json keeps them: the main table and its rows check,
# the faults summary and rounds, hostile announces, scaling, server time,
# endpoints and ceilings. Nothing here measures.

def fmt(value, digits = 0)
  return "–" if value.nil?

  digits.zero? ? value.round.to_s.reverse.scan(/\d{1,3}/).join(",").reverse : format("%.#{digits}f", value)
end

# Rows written against requests answered: one system per announce answered
# 201, one activation per activation answered 201 (each instance activates
# each product once), two profile links per system (every instance of
# SUSEConnect 1.24 sends two profiles, 1.13 none). A client that timed out
# while the server still wrote, or a half written registration, shows up as a
# difference. A deregistration (registercloudguest giving up) removes a
# system with what it had: the check then says so instead of comparing.
def rows_check(result)
  ok = ->(endpoint) { result.dig("endpoints", endpoint, "ok") || 0 }
  deregistered = ok.call("deregister")
  return "– (#{fmt(deregistered)} deregistered)" if deregistered.positive?

  written = [result["systems_written"], result["activations_written"]]
  hostile = result["scenario"] == "hostile" # every endpoint is a kind of announce; profiles vary
  announced = hostile ? result["endpoints"].sum { |_, e| e["ok"] } : ok.call("announce")
  expected = [announced, ok.call("activate")]
  links = result["profile_links_written"]
  per_system = result["client"] == "V1_13" ? 0 : 2
  if links && !hostile && links != per_system * written[0]
    return "NO: #{fmt(links)} profile links for #{fmt(written[0])} systems"
  end
  return "yes (#{written.map { |n| fmt(n) }.join(' + ')})" if written == expected

  "NO: #{written.join(' + ')} rows for #{expected.join(' + ')} answers"
end

def rows_held?(result)
  rows_check(result).start_with?("yes")
end

def endpoint_table(results)
  lines = ["| run | path | endpoint | requests | ok | p50 ms | p99 ms | max ms |", "|#{'---|' * 8}"]
  results.select { |r| r["scenario"] == "registration" }.each do |r|
    r["endpoints"].each do |name, e|
      lines << "| #{r['run']} | #{r['path']} | #{name} | #{fmt(e['requests'])} | #{fmt(e['ok'])} | " \
               "#{%w[p50 p99 max].map { |p| fmt(e['latency_ms'][p], 1) }.join(' | ')} |"
    end
  end
  lines.join("\n")
end

# What the faults mode did, and the rows check over all its runs.
def faults_summary(results)
  return "" unless MODE == "faults"

  held = results.group_by { |r| r["path"] }.map do |path, runs|
    "#{path}: #{runs.count { |r| rows_held?(r) }} of #{runs.size}"
  end
  <<~MD.strip
    Faults (benches/support/faults.rb) start 4 s into a herd of 1,500 announces
    over 15 s (100 a second; like SUSEConnect, no retries) and last 5 s (the
    locked table 8 s). In this mode innodb_lock_wait_timeout is #{Faults::LOCK_WAIT_TIMEOUT_S} s and the app
    runs behind Rack::Timeout (service timeout #{Faults::RACK_TIMEOUT_S} s).

    Runs where the rows written equal the answers given (a system and two
    profile links per announce answered 201, an activation per activation
    answered 201; a miss is a half-written registration or a row without its
    answer): #{held.join('; ')}.

    Inputs tried: the #{fmt(results.select { |r| r['scenario'] == 'hostile' }.sum { |r| r['instances'] })}
    hostile announces below (#{results.count { |r| r['scenario'] == 'hostile' }} runs of 12 kinds); in the suite,
    `cargo test --test properties` (3 properties x 512 generated inputs each:
    hwinfo round trip, profile order, column casts) and spec/registration_spec.rb
    (a 10 MB hostname, hwinfo nested deeper than 256 levels, values JSON cannot
    carry, strings that are not UTF-8, SQL and markup, wrong types).
  MD
end

# Every round of each run: answers, failures and p99, one figure per round.
def spread_table(results)
  return "" if REPEAT < 2

  lines = ["| run | path | ok, each round | failed, each round | p99 ms, each round | rows = answers |",
           "|#{'---|' * 6}"]
  results.group_by { |r| [r["run"], r["path"]] }.each do |(run, path), rounds|
    each = ->(&figure) { rounds.map(&figure).join(" / ") }
    held = rounds.count { |r| rows_held?(r) }
    lines << "| #{run} | #{path} | #{each.call { |r| fmt(r['all']['ok']) }} | #{each.call { |r| fmt(r['all']['failed']) }} | " \
             "#{each.call { |r| fmt(r['all']['latency_ms']['p99'], 0) }} | #{held} of #{rounds.size} |"
  end
  "All #{REPEAT} rounds (the table above is round 1):\n\n#{lines.join("\n")}"
end

# Hostile announces: each kind's answers on each path, side by side.
def hostile_table(results)
  runs = results.select { |r| r["scenario"] == "hostile" }
  return "" if runs.empty?

  answers = ->(e) { e["outcomes"].map { |kind, n| "#{fmt(n)} x #{kind}" }.join(", ") }
  lines = ["| kind | #{runs.map { |r| r['path'] }.join(' | ')} |", "|#{'---|' * (runs.size + 1)}"]
  runs.first["endpoints"].each_key do |kind|
    lines << "| #{kind} | #{runs.map { |r| answers.call(r['endpoints'][kind]) }.join(' | ')} |"
  end
  lines << "| rows in profiles afterwards | #{runs.map { |r| fmt(r['profiles_written']) }.join(' | ')} |"
  "Hostile announces, answers by kind (benches/herd/src/hostile.rs):\n\n#{lines.join("\n")}"
end

def ceilings_table(ceilings, results)
  limit = ceilings["layers"].last["per_second"]
  rows = results.select { |r| r["scenario"] == "announce" && r["concurrency"] == 64 }.map do |r|
    { "layer" => "#{r['run'].include?('straight') ? 'straight to Puma' : 'through nginx and Puma'}: #{r['path']}, " \
                 "announce sweep x64", "per_second" => r["all"]["ok_per_s"],
      "p50_ms" => r["all"]["latency_ms"]["p50"], "p99_ms" => r["all"]["latency_ms"]["p99"] }
  end
  lines = ["| layer | per second | p50 ms | p99 ms | of MariaDB's insert rate |", "|---|---|---|---|---|"]
  (rows + ceilings["layers"]).each do |l|
    lines << "| #{l['layer']} | #{fmt(l['per_second'])} | #{fmt(l['p50_ms'], 1)} | #{fmt(l['p99_ms'], 1)} | " \
             "#{(100.0 * l['per_second'] / limit).round} % |"
  end
  lines.join("\n")
end

# The same herd at each Puma size: how each path's capacity grows with
# workers and threads.
def scaling_table(results)
  runs = results.select { |r| r["run"].include?(", Puma ") }
  return "" if runs.empty?

  lines = ["| Puma workers x threads | path | registered | ok/s | p50 ms | p99 ms | failed | CPU ms per request: Puma, MariaDB, nginx |",
           "|#{'---|' * 8}"]
  runs.sort_by { |r| [r["puma"]["workers"], r["puma"]["threads"], r["path"]] }.each do |r|
    all = r["all"]
    lines << "| #{r['puma']['workers']} x #{r['puma']['threads']} | #{r['path']} | #{fmt(r['registered'])} of #{fmt(r['instances'])} | " \
             "#{fmt(all['ok_per_s'])} | #{fmt(all['latency_ms']['p50'], 1)} | #{fmt(all['latency_ms']['p99'], 1)} | " \
             "#{fmt(all['failed'])} | #{cpu_per_request(r)} |"
  end
  "Scaling, #{runs.first['run'].split(', Puma').first}, at each Puma size:\n\n#{lines.join("\n")}"
end

# The region runs (first_saturated): per server, the PAYG instances that
# registered there and registercloudguest's health checks by answer; the
# instances lost (registered nowhere: their requests timed out or failed).
def region_table(results)
  runs = results.select { |r| r["servers"].to_i > 1 && r["payg"] && r["region"]&.any? }
  return "" if runs.empty?

  lines = ["| run | path | server (Puma) | registered there | health checks: answers |", "|#{'---|' * 5}"]
  runs.each do |r|
    r["region"].each do |tally|
      size = REGION_SIZES[tally["server"] - 1] if defined?(REGION_SIZES) && r["run"].include?("saturated")
      puma = size ? " (#{size[:workers]} x #{size[:threads]})" : ""
      answers = tally["health"].sort.map { |kind, n| "#{fmt(n)} #{kind}" }.join(", ")
      lines << "| #{r['run']} | #{r['path']} | #{tally['server']}#{puma} | #{fmt(tally['registered'])} | #{answers} |"
    end
    lines << "| #{r['run']} | #{r['path']} | lost (registered nowhere) | #{fmt(r['instances'] - r['registered'])} | |"
  end
  "The region, per server (registercloudguest asks server 1 first, then 2, then 3):\n\n#{lines.join("\n")}"
end

# Where each path's server time goes per request, by action (registration
# herds): measured inside Puma's Rails app (not the time in Puma's queue, nor
# nginx).
def server_time_table(results)
  runs = results.select { |r| r["scenario"] == "registration" && r["server_time"] }
  return "" if runs.empty?

  lines = ["| run | path | action | requests | in Rails ms | CPU ms | middleware, routing, rendering ms | " \
           "parameter parsing ms | ActiveRecord ms | RmtRs ms | views ms | rest of the action ms |",
           "|#{'---|' * 12}"]
  runs.each do |r|
    r["server_time"].sort.each do |action, t|
      # Files from before the whole-request figures have only the action's.
      total = t["total"] || t["duration"]
      stack = total - (t["params"] || 0) - t["duration"]
      rest = t["duration"] - t["active_record"] - t["rmt_rs"] - t["views"]
      figures = [total, t["total_cpu"] || t["cpu"], stack, t["params"], t["active_record"], t["rmt_rs"], t["views"], rest]
      lines << "| #{r['run']} | #{r['path']} | #{action.split('::').last(2).join('::')} | #{fmt(t['requests'])} | " \
               "#{figures.map { |v| fmt(v, 1) }.join(' | ')} |"
    end
  end
  "Where the server's time goes, per request (means, measured inside Rails: from the top of the middleware " \
    "stack until the answer is back there; parameter parsing is Rails turning the query string and body into " \
    "`params`; ActiveRecord, RmtRs and views are Rails' own figures for the action; \"rest of the action\" is " \
    "RMT's and Rails' Ruby in the controller):\n\n#{lines.join("\n")}"
end

# CPU milliseconds per request answered or failed, in Puma, MariaDB and nginx.
def cpu_per_request(result)
  requests = result["all"]["ok"] + result["all"]["failed"]
  %w[puma_cpu_s mariadb_cpu_s nginx_cpu_s].map do |key|
    result[key] && requests.positive? ? fmt(result[key] * 1000.0 / requests, 1) : "–"
  end.join(", ")
end

def table(results)
  header = "| run | path | ok/s | p50 ms | p90 ms | p99 ms | max ms | ok | failed (kind) | all registered after | " \
           "CPU ms per request: Puma, MariaDB, nginx | rows = answers | peak RSS MiB (master, workers) |"
  lines = [header, "|#{'---|' * 13}"]
  notes = []
  results.each do |r|
    all = r["all"]
    failures = (all["failures"] || all["outcomes"].reject { |k, _| k.start_with?("2") }).map { |k, v| "#{v} #{k}" }.join(", ")
    lines << [
      r["run"], r["path"], fmt(all["ok_per_s"]), *%w[p50 p90 p99 max].map { |p| fmt(all["latency_ms"][p], 1) },
      fmt(all["ok"]), all["failed"].zero? ? "0" : "#{all['failed']} (#{failures})",
      floor?(r) ? "–" : registered_after(r),
      cpu_per_request(r),
      floor?(r) ? "–" : rows_check(r),
      r["puma_peak_rss_mib"].map { |m| fmt(m) }.join(", ")
    ].join(" | ").then { |row| "| #{row} |" }
    errors = r["server_errors"].map { |klass, n| "#{n} #{klass}" }.join(", ")
    notes << "- #{r['run']}, #{r['path']}: the server logged #{errors}" unless errors.empty?
    observed = (r["fault_observed"] || {}).map { |what, n| "#{fmt(n)} #{what}" }.join(", ")
    notes << "- #{r['run']}, #{r['path']}: the fault saw #{observed}" unless observed.empty?
  end
  (lines + (notes.empty? ? [] : ["", *notes])).join("\n")
end

# The floor runs (benches/herd.rb FLOORS) register nothing: one GET each.
def floor?(result)
  %w[health bare].include?(result["scenario"])
end

# When the last instance was registered, or how many were (`counted`
# follows the count: " registered" in a sentence).
def registered_after(result, counted = "")
  if result["all_registered_after_s"] && result["registered"] == result["instances"]
    "#{fmt(result['all_registered_after_s'], 1)} s"
  else
    "#{fmt(result['registered'])} of #{fmt(result['instances'])}#{counted}"
  end
end
