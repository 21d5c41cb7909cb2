# frozen_string_literal: true

require "net/http"

# RMT's Prometheus metrics during a herd (HERD_METRICS=1, on in quick mode):
# the server boots with RMT's metrics on (RMT_METRICS_ENABLED, as
# config/rmt.yml reads it) and yabeda-puma-plugin's exporter on a free port of
# the loopback (PROMETHEUS_EXPORTER_BIND/PORT); each run's figures are what
# grew between a scrape before and one after it, so earlier runs (and files an
# earlier server left in RMT's tmp/prometheus) do not count.
module Scrape
  # Herd endpoints (benches/herd's names) => [controller suffix, action] RMT routes them to.
  ACTIONS = {
    "announce" => ["Subscriptions::SystemsController", "announce_system"],
    "activate" => ["Systems::ProductsController", "activate"],
    "product tree" => ["Systems::ProductsController", "show"],
    "product tree (python)" => ["Systems::ProductsController", "show"],
    "service refresh" => ["ServicesController", "show"],
    "fleet service refresh" => ["ServicesController", "show"],
    "fleet keepalive" => ["Systems::SystemsController", "update"],
    "update" => ["Systems::SystemsController", "update"],
    "credential check" => ["Systems::ProductsController", "migrations"],
    "fleet credential check" => ["Systems::ProductsController", "migrations"]
  }.freeze
  # With the public-cloud engines nginx asks RMT before every repository file.
  PAYG_ACTIONS = ACTIONS.merge("fleet repository metadata" => ["AuthenticationController", "check"]).freeze
  # Time for each worker's metrics reporter (RmtRs::Metrics::REPORT_EVERY)
  # to write what it counted last.
  SETTLE_S = 3

  module_function

  def env(port)
    { "RMT_METRICS_ENABLED" => "true", "PROMETHEUS_EXPORTER_BIND" => "127.0.0.1",
      "PROMETHEUS_EXPORTER_PORT" => port.to_s, "PROMETHEUS_EXPORTER_SILENT" => "true" }
  end

  # {"family{labels}" => value} of the exporter's text.
  def read(port)
    text = Net::HTTP.get(URI("http://127.0.0.1:#{port}/metrics"))
    text.lines.each_with_object({}) do |line, figures|
      next if line.start_with?("#") || line.strip.empty?

      series, value = line.strip.split(/ (?=[^ ]+\z)/)
      figures[series] = Float(value)
    end
  end

  # The rmt_rs_ families over one run: counters and histogram counts by how
  # much they grew, the pool gauges of the server's live workers as they are.
  def run(before, after, worker_pids)
    after.each_with_object({}) do |(series, value), out|
      next unless series.start_with?("rmt_rs_") && !series.include?("_bucket")

      if series.start_with?("rmt_rs_pool_")
        out[series] = value if worker_pids.any? { |pid| series.include?("pid=\"#{pid}\"") }
      elsif series.start_with?("rmt_rs_actions_left")
        out[series] = value
      else
        grew = value - before.fetch(series, 0.0)
        out[series] = grew.round(6) if grew.positive?
      end
    end
  end

  def labels(series)
    series[/\{(.*)\}/, 1].to_s.scan(/(\w+)="((?:[^"\\]|\\.)*)"/).to_h
  end

  # Owned actions: requests the herd sent against rmt_rs_answers_total;
  # then the other families, a row per run. Markdown, for the report.
  def table(results)
    runs = results.select { |r| r["scenario"] == "registration" && r["metrics"] }
    return "" if runs.empty?

    [answers_table(runs), "", "The other `rmt_rs_` families over the same runs (counters and histogram counts: " \
                              "their growth over the run; the pool: each live worker's gauges after it, " \
                              "size/in use/idle/waiting):", "", families_table(runs)].join("\n")
  end

  def answers_table(runs)
    lines = ["| run | path | action | requests sent | `rmt_rs_answers_total` (status × n) |", "|#{'---|' * 5}"]
    runs.each do |r|
      actions = r["endpoints"].key?("health") ? PAYG_ACTIONS : ACTIONS
      sent = Hash.new(0)
      r["endpoints"].each { |name, e| (key = actions[name]) && sent[key] += e["requests"] }
      sent.each do |(controller, action), requests|
        answers = family(r, "rmt_rs_answers_total").select do |l, _|
          l["action"] == action && l["controller"].end_with?(controller)
        end
        detail = answers.group_by { |l, _| l["status"] }.map { |status, xs| "#{status} × #{total(xs)}" }.join(", ")
        lines << "| #{r['run']} | #{r['path']} | #{controller}##{action} | #{requests} | " \
                 "#{answers.empty? ? 'none (no rmt_rs family)' : "#{total(answers)} (#{detail})"} |"
      end
    end
    lines.join("\n")
  end

  def families_table(runs)
    lines = ["| run | path | runtime observations | request_runtime observations | 503s by cause | deadlock retries | " \
             "product trees | pool per worker | actions left |", "|#{'---|' * 9}"]
    runs.each do |r|
      next lines << "| #{r['run']} | #{r['path']} | no rmt_rs family |#{' |' * 6}" if r["metrics"].empty?

      by = ->(name, key) { family(r, name).map { |l, n| "#{l[key]} #{n.round}" }.join(", ").then { |t| t.empty? ? "0" : t } }
      pool = family(r, "rmt_rs_pool_size").map do |l, size|
        [size, *%w[in_use idle waiting].map { |g| family(r, "rmt_rs_pool_#{g}").find { |m, _| m["pid"] == l["pid"] }&.last }]
          .map { |v| v&.round }.join("/")
      end
      lines << "| #{r['run']} | #{r['path']} | #{total(family(r, 'rmt_rs_runtime_seconds_count'))} | " \
               "#{total(family(r, 'rmt_rs_request_runtime_seconds_count'))} | #{by.call('rmt_rs_unavailable_total', 'cause')} | " \
               "#{total(family(r, 'rmt_rs_deadlock_retries_total'))} | " \
               "#{by.call('rmt_rs_catalog_trees_total', 'result')} | #{pool.join(', ')} | " \
               "#{family(r, 'rmt_rs_actions_left').map { |l, _| "#{l['controller'].split('::').last(3).join('::')}##{l['action']}" }.join(', ')} |"
    end
    lines.join("\n")
  end

  # [[labels, value]] of one family in a run's figures.
  def family(run, name)
    run["metrics"].filter_map { |series, value| [labels(series), value] if series == name || series.start_with?("#{name}{") }
  end

  def total(pairs)
    pairs.sum { |_, n| n }.round
  end
end
