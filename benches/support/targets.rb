# frozen_string_literal: true

# Issue 30's targets for Puma's cost, each with its figure from the run and
# whether it was met, and the README's headline block written from the same
# run: the figures people quote come from the benchmark's own output, never
# copied by hand. Nothing here measures.
module Targets
  RMT = "Ruby (RMT)"
  RUST = "RmtRs"
  AUTH_CHECK = "StrictAuthentication::AuthenticationController#check"
  REGISTRATION = /\Aregistration herd [\d,]+ in \d+ s\z/
  PAYG = /\APAYG registration herd [\d,]+ in \d+ s \(pubcloud engines\)\z/
  # `script/herd full`'s PAYG herd at 1,000 a minute: no instance may be lost.
  PAYG_MINUTE = "PAYG registration herd 1,000 in 60 s (pubcloud engines)"
  HEALTH_CHECK = "Api::HealthController#status"
  # The floor runs (benches/herd.rb FLOORS).
  HEALTH_FLOOR = "health x64"
  BARE_FLOOR = "bare x64"
  README = File.expand_path("../../README.md", __dir__)
  BEGIN_MARK = "<!-- headline: written by benches/herd.rb from script/herd quick; do not edit by hand -->"
  END_MARK = "<!-- headline end -->"

  module_function

  # [what, RMT's figure, RmtRs's figure, target ratio, floors] of each ratio
  # target whose runs are in `results`; floors: [bare, health], each the
  # figures of RMT's server and RmtRs's (nil where not measured) in the
  # target's own measure: bare, the least a request answered in this Puma
  # costs without Rails; health, the least one answered in RMT's Rails costs.
  def ratios(results)
    [[REGISTRATION, "Puma CPU ms per request", 15, method(:puma_ms), method(:puma_floors)],
     [PAYG, "Puma CPU ms per request", 10, method(:puma_ms), method(:puma_floors)],
     [PAYG, "nginx's auth check: CPU ms per check in Rails", 5, method(:auth_check_cpu),
      method(:rails_floors)]].filter_map do |run, what, times, figure, floors|
      runs = pair(results, run)
      figures = runs&.map { |r| figure.call(r) }
      next unless figures&.all?

      ["#{runs[0]['run']}: #{what}", *figures, times, floors.call(results, runs)]
    end
  end

  # Puma CPU per request of the floor runs (the same requests on both
  # servers: RmtRs answers neither).
  def puma_floors(results, _target_runs)
    [BARE_FLOOR, HEALTH_FLOOR].map { |run| by_path(results, run).map { |r| r && puma_ms(r) } }
  end

  # In Rails' own measure, in the target's runs themselves (the same herd,
  # under the same load): RMT's health check's CPU in Rails, which
  # registercloudguest asks before it registers. The bare answer never
  # reaches Rails.
  def rails_floors(_results, target_runs)
    [[nil, nil], target_runs.map { |r| r.dig("server_time", HEALTH_CHECK, "total_cpu") }]
  end

  def puma_ms(result)
    requests = result["all"]["ok"] + result["all"]["failed"]
    result["puma_cpu_s"] && requests.positive? ? result["puma_cpu_s"] * 1000.0 / requests : nil
  end

  def auth_check_cpu(result)
    result.dig("server_time", AUTH_CHECK, "total_cpu")
  end

  # The targets table (markdown), for the report and the README.
  def table(results)
    lines = ["| target | RMT's path | RmtRs | RMT / RmtRs | target | met |", "|#{'---|' * 6}"]
    ratios(results).each do |what, ruby, rust, times|
      ratio = ruby / rust
      lines << "| #{what} | #{fmt(ruby, 1)} | #{fmt(rust, 1)} | #{fmt(ratio, 1)}× | ≥ #{times}× | " \
               "#{ratio >= times ? 'yes' : 'no'} |"
    end
    lost = results.find { |r| r["path"] == RUST && r["run"] == PAYG_MINUTE }
    lines << if lost
               missing = lost["instances"] - lost["registered"]
               "| #{PAYG_MINUTE}: instances not registered with RmtRs | – | #{fmt(missing)} of " \
                 "#{fmt(lost['instances'])} | – | 0 | #{missing.zero? ? 'yes' : 'no'} |"
             else
               "| #{PAYG_MINUTE}: instances not registered with RmtRs | – | not run in this mode " \
                 "(`script/herd full`) | – | 0 | – |"
             end
    "Issue 30's targets for Puma's cost (same run, same machine; CPU per request as in the table above, the " \
      "auth check's from the server-time table: Rails' CPU for the whole request):\n\n#{lines.join("\n")}" \
      "#{floors_table(results)}"
  end

  # What each target leaves RmtRs per request, against the floors measured in
  # the same run (the lower of the two servers' figures decides): a target
  # below the health check's figure is out of reach of any request answered in
  # RMT's Rails (its log lines, notifications and metrics, which RmtRs keeps
  # RMT's); below the bare figure, of any request answered in this Puma at all.
  def floors_table(results)
    targets = ratios(results)
    return "" if targets.all? { |*, floors| floors.flatten.compact.empty? }

    rows = targets.map do |what, ruby, _rust, times, (bare, health)|
      allowed = ruby / times
      low_bare, low_health = [bare, health].map { |pair| pair.compact.min }
      below = if low_bare && allowed < low_bare then "yes: below Puma's own floor"
              elsif low_health && allowed < low_health then "yes: below a one-line Rails action"
              elsif low_health then "no: #{fmt(allowed - low_health, 2)} ms above a one-line Rails action"
              else "–"
              end
      "| #{what} | #{fmt(allowed, 2)} | #{both(bare)} | #{both(health)} | #{below} |"
    end
    "\n\nWhat each target leaves a request, against the floors (#{BARE_FLOOR}: 1,000 GETs the benchmark's " \
      "harness answers at the top of the middleware stack, no Rails; #{HEALTH_FLOOR}: 1,000 of RMT's " \
      "`#{HEALTH_CHECK}`, one line of Rails with RMT's log lines, notifications and metrics; both in Puma CPU per " \
      "request, on RMT's server and on RmtRs's, which answers neither; for the auth check, the health checks' CPU " \
      "in Rails in the same PAYG herd; the lower figure decides):\n\n" \
      "| target | RmtRs may spend, ms | bare Puma, ms (RMT's server, RmtRs's) | RMT's health check, ms " \
      "(RMT's server, RmtRs's) | target below a floor |\n" \
      "|#{'---|' * 5}\n#{rows.join("\n")}"
  end

  def both(figures)
    figures.compact.empty? ? "–" : figures.map { |f| f ? fmt(f, 2) : "–" }.join(", ")
  end

  # The README's headline block from a whole `script/herd quick` run.
  def headline(results, started, machine)
    herd = pair(results, REGISTRATION)
    payg = pair(results, PAYG)
    lines = ["From [results/herd-quick/report.md](results/herd-quick/report.md), the report `script/herd quick` " \
             "wrote (run started #{started.utc.strftime('%Y-%m-%d %H:%M')} UTC; #{machine}; the real RMT 2.28 in " \
             "production mode with RMT's packaged Puma size 2 × 5, behind nginx with TLS, RmtRs installed as an " \
             "engine folder, RMT's Prometheus metrics on, a fleet of 2,000 registered systems working underneath):", ""]
    if herd
      lines << "- **#{herd[0]['run'].capitalize}** (8 requests each): the last instance was registered after " \
               "#{registered(herd[0])} on RMT's Ruby path (p50 #{fmt(herd[0]['all']['latency_ms']['p50'], 1)} ms) " \
               "and after #{registered(herd[1])} with RmtRs (p50 #{fmt(herd[1]['all']['latency_ms']['p50'], 1)} ms)."
      lines << "- **Puma CPU per request** in that herd: #{fmt(puma_ms(herd[0]), 1)} ms on RMT's Ruby path, " \
               "#{fmt(puma_ms(herd[1]), 1)} ms with RmtRs."
    end
    if payg
      lines << "- **#{payg[0]['run'].sub(' (pubcloud engines)', '')}** through `registercloudguest`, RMT with its " \
               "public-cloud engines: #{registered_count(payg[0])} on RMT's Ruby path, #{registered_count(payg[1])} " \
               "with RmtRs; Puma CPU per request #{fmt(puma_ms(payg[0]), 1)} and #{fmt(puma_ms(payg[1]), 1)} ms."
    end
    [*lines, "", table(results)].join("\n")
  end

  # Writes the headline block into the README between its marks.
  def write_readme(results, started, machine, readme = README)
    text = File.read(readme)
    from = text.index(BEGIN_MARK)
    to = text.index(END_MARK)
    return unless from && to

    File.write(readme, "#{text[0...from]}#{BEGIN_MARK}\n#{headline(results, started, machine)}\n#{text[to..]}")
  end

  # [RMT's run, RmtRs's run] named `run` (a label, or a pattern of labels),
  # when both are in `results`.
  def pair(results, run)
    found = by_path(results, run)
    found.all? ? found : nil
  end

  # The same, either one nil where missing (`===`: a label matches itself, a
  # pattern the labels it matches).
  def by_path(results, run)
    [RMT, RUST].map { |path| results.find { |r| r["path"] == path && run === r["run"] } }
  end

  def registered(result)
    registered_after(result, " registered") # report_tables.rb
  end

  def registered_count(result)
    failed = result["all"]["failed"]
    text = "#{fmt(result['registered'])} of #{fmt(result['instances'])} registered"
    text += ", the last after #{fmt(result['all_registered_after_s'], 1)} s" if result["registered"] == result["instances"]
    failed.zero? ? text : "#{text} (#{fmt(failed)} requests failed)"
  end
end
