# frozen_string_literal: true

# Overload mode (`script/herd overload`, issue 31): the curve of what one RMT
# on this machine completes as the offered load grows past what it can
# register, on each path, and the issue's targets against their figures.
# benches/herd.rb runs the herds; this file knows the loads, waits for Puma
# to work off what a herd left behind, and writes the curve's tables and
# chart from the runs' figures (nothing here is measured twice or assumed).
module Overload
  # Offered loads in registrations a minute, each herd over SECONDS; a
  # shorter curve is for checking the mode works, not for the figures.
  CURVE = [1000, 2500, 5000, 7500, 10_000].freeze
  LOADS = ENV.fetch("HERD_OVERLOAD_LOADS", CURVE.join(",")).split(",").map { |n| Integer(n.strip) }
  SECONDS = Integer(ENV.fetch("HERD_OVERLOAD_SECONDS", "60"))
  # The paths the curve compares (HERD_PATHS narrows them, as in every mode):
  # RMT's, RmtRs's, and RmtRs with its opt-in shedding of new announces
  # (SHEDDING, issue 31 item 2), each by its name in benches/herd.rb's PATHS.
  SHEDDING = "RmtRs, shed_announces 3 s"
  ALL_PATHS = ["Ruby (RMT)", "RmtRs", SHEDDING].freeze
  PATHS = "\\A(#{ALL_PATHS.map { |name| Regexp.escape(name) }.join('|')})\\z"
  # Target (b): at these offered loads, completed at least this share of the
  # most any offered load completed on the same path in the same run.
  TARGET_LOADS = [5000, 10_000].freeze
  TARGET_SHARE = 0.9
  # After a herd, Puma is idle once its processes use less CPU than this in a
  # second, twice running; the wait ends after DRAIN_LIMIT_S whatever happens.
  IDLE_CPU_S = 0.05
  DRAIN_LIMIT_S = 180

  module_function

  # Only the whole curve on both paths is the mode's report; anything
  # narrower goes to results/herd-overload-partial/ (not committed).
  def whole_curve?
    LOADS == CURVE && SECONDS == 60 && !ENV["HERD_PATHS"]
  end

  def instances(per_minute)
    per_minute * SECONDS / 60
  end

  # The command that runs the curve of `results` again (from the runs'
  # figures, so that a report written again from results.json says the same).
  def command(results)
    curve = curves(results)
    loads = curve.values.flatten.map { |r| offered(r).round }.uniq.sort
    seconds = curve.values.flatten.map { |r| r["spread_s"].round }.uniq
    knobs = loads == CURVE && seconds == [60] ? "" : "HERD_OVERLOAD_LOADS=#{loads.join(',')} HERD_OVERLOAD_SECONDS=#{seconds.join} "
    names = curve.keys.sort
    paths = names == ALL_PATHS.sort ? "" : "HERD_PATHS='\\A(#{names.map { |n| Regexp.escape(n) }.join('|')})\\z' "
    "#{paths}#{knobs}script/herd overload"
  end

  # Waits until Puma has worked off what the herd left in its queues (a client
  # that timed out leaves its request behind, and it may still run and
  # write), so that the rows counted next are everything the run wrote and the
  # next herd starts on an idle server. `rows` gives [systems, activations].
  def drain(pids, &rows)
    started = Time.now
    before = rows.call
    quiet = 0
    previous = cpu(pids)
    while quiet < 2 && Time.now - started < DRAIN_LIMIT_S
      sleep 1
      now = cpu(pids)
      quiet = now - previous < IDLE_CPU_S ? quiet + 1 : 0
      previous = now
    end
    { "drain_s" => (Time.now - started).round(1), "drained" => quiet >= 2,
      "rows_after_herd" => rows.call.zip(before).map { |after, at_end| after - at_end } }
  end

  def cpu(pids)
    pids.sum { |pid| ProcessStats.cpu_seconds(pid) }
  end

  # Offered registrations a minute, from the herd's own figures.
  def offered(run)
    run["instances"] * 60.0 / run["spread_s"]
  end

  def completed_per_minute(run)
    run["registered"] * 60.0 / run["spread_s"]
  end

  # Systems and activations written beyond the successful answers the herd's
  # clients received: rows whose client never got its answer.
  def given_up(run)
    ok = ->(endpoint) { run.dig("endpoints", endpoint, "ok") || 0 }
    [run["systems_written"] - ok.call("announce"), run["activations_written"] - ok.call("activate")]
  end

  def curves(results)
    results.select { |r| r["scenario"] == "registration" && !r["payg"] }.group_by { |r| r["path"] }
           .transform_values { |runs| runs.sort_by { |r| offered(r) } }
  end

  DEFINITIONS = <<~MD.tr("\n", " ").strip
    What the columns count (benches/herd/src/session.rs, stats.rs): each
    instance is one SUSEConnect run, its 8 requests one after another, each
    with a 60 s timeout (SUSEConnect's HTTP client) and no retry. Its first
    failed request (a status of 400 or more, a refused or reset connection,
    60 s without an answer) ends it: the client has given up. **Completed**:
    all 8 answered successfully (the herd's "registered"); per minute: over the
    herd's window of arrivals. **Requests on unfinished instances**: every
    request an instance that never completed sent, and how many of them were
    answered successfully (server work that registered nobody). **Rows for
    clients that had given up**: systems beyond the announces answered 201 and
    activations beyond the activations answered successfully, counted once Puma
    is idle again after the herd (the client timed out, or nginx answered 504
    for it, and the server wrote anyway); "after the herd" is the part written
    after the last client had given up or finished. **Puma CPU**: master and
    workers, from the herd's start until Puma was idle again.
  MD

  def report(results)
    curve = curves(results)
    return "" if curve.empty?

    tables = curve.map { |path, runs| "#{path}:\n\n#{curve_table(runs)}" }
    seconds = curve.values.flatten.map { |r| fmt(r["spread_s"]) }.uniq.join(", ")
    <<~MD.strip
      The overload curve: offered loads from #{fmt(curve.values.flatten.map { |r| offered(r) }.min)} to
      #{fmt(curve.values.flatten.map { |r| offered(r) }.max)} registrations a minute, each a herd over #{seconds} s,
      on each path. #{DEFINITIONS}

      #{tables.join("\n\n")}

      Chart: [curve.svg](curve.svg) (completed registrations a minute against the offered load).

      Targets (issue 31):

      #{targets_table(results, curve)}
    MD
  end

  def curve_table(runs)
    lines = ["| offered /min | completed | completed /min | requests on unfinished instances (answered ok) | " \
             "rows for clients that had given up: systems + activations (after the herd) | failures by kind | " \
             "Puma CPU s (ms per completed) | idle again after | run took |", "|#{'---|' * 9}"]
    runs.each do |r|
      unfinished = r["unfinished"]
      failures = r["all"]["failures"].map { |kind, n| "#{fmt(n)} #{kind}" }.join(", ")
      per_completed = r["registered"].positive? ? fmt(r["puma_cpu_s"] * 1000.0 / r["registered"], 1) : "–"
      drained = r["drain_s"] && "#{fmt(r['drain_s'], 1)} s#{' (limit, still busy)' unless r['drained']}"
      lines << "| #{fmt(offered(r))} | #{fmt(r['registered'])} of #{fmt(r['instances'])} | " \
               "#{fmt(completed_per_minute(r))} | " \
               "#{unfinished ? "#{fmt(unfinished['requests'])} (#{fmt(unfinished['ok'])})" : '–'} | " \
               "#{given_up(r).map { |n| fmt(n) }.join(' + ')} (#{(r['rows_after_herd'] || []).join(' + ')}) | " \
               "#{failures.empty? ? '0' : failures} | #{fmt(r['puma_cpu_s'], 1)} (#{per_completed}) | " \
               "#{drained || '–'} | #{r['wall_s'] ? "#{fmt(r['wall_s'])} s" : '–'} |"
    end
    lines.join("\n")
  end

  def targets_table(results, curve)
    lines = ["| target | path | figure | met |", "|---|---|---|---|"]
    curve.each do |path, runs|
      worst = runs.max_by { |r| given_up(r).sum }
      each = runs.map { |r| "#{fmt(offered(r))}/min: #{given_up(r).join(' + ')}" }.join("; ")
      lines << "| (a) rows written for clients that had given up = 0 in every run | #{path} | " \
               "#{each} (systems + activations) | #{met(given_up(worst).sum.zero?)} |"
    end
    curve.each { |path, runs| TARGET_LOADS.each { |load| lines << completion_row(path, runs, load) } }
    lines << region_row(results)
    lines.join("\n")
  end

  def completion_row(path, runs, load)
    target = "(b) at #{fmt(load)}/min, completed ≥ #{(TARGET_SHARE * 100).round} % of the most any offered load completed"
    run = runs.find { |r| offered(r).round == load }
    return "| #{target} | #{path} | not run (offered: #{runs.map { |r| fmt(offered(r)) }.join(', ')}) | not measured |" unless run

    best = runs.max_by { |r| r["registered"] }
    share = best["registered"].positive? ? run["registered"].to_f / best["registered"] : 0.0
    "| #{target} | #{path} | #{fmt(run['registered'])} of the most, #{fmt(best['registered'])} " \
      "(at #{fmt(offered(best))}/min): #{(share * 100).round} % | #{met(share >= TARGET_SHARE)} |"
  end

  # Target (c) reads a PAYG herd over a region of several servers: the run's
  # own when it has one, else the region mode's latest report
  # (results/herd-region, `script/herd region`), named with its start.
  def region_row(results)
    target = "(c) in the saturated region, every PAYG instance registers somewhere"
    runs, source = region_runs(results)
    return "| #{target} | – | not run (`script/herd region`) | not measured |" if runs.empty?

    runs.map do |r|
      "| #{target} | #{r['path']} | #{source}#{r['run']}: #{fmt(r['registered'])} of #{fmt(r['instances'])} " \
        "registered | #{met(r['registered'] == r['instances'])} |"
    end.join("\n")
  end

  # [PAYG runs over several servers, where they come from ("" for this run)].
  def region_runs(results)
    own = results.select { |r| r["payg"] && r["servers"].to_i > 1 }
    return [own, ""] unless own.empty?

    file = File.expand_path("../../results/herd-region/results.json", __dir__)
    return [[], ""] unless File.exist?(file)

    region = JSON.parse(File.read(file))
    runs = region.fetch("results").select { |r| r["payg"] && r["servers"].to_i > 1 && r["round"].to_i.zero? }
    [runs, "results/herd-region (#{region['started']}), "]
  end

  def met(held)
    held ? "met" : "not met"
  end

  # Completed registrations a minute against the offered load, one line per
  # path, and the offered load itself (what a server that kept up completes).
  def chart(results)
    curve = curves(results)
    return nil if curve.empty?

    loads = curve.values.flatten.map { |r| offered(r) }.uniq.sort
    series = curve.transform_values { |runs| runs.map { |r| [offered(r), completed_per_minute(r)] } }
    SvgChart.line(title: "Completed registrations a minute against the offered load",
                  x_label: "offered registrations a minute", y_label: "completed registrations a minute",
                  series: series.merge("offered" => loads.map { |x| [x, x] }))
  end
end
