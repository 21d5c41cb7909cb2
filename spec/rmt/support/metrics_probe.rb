# frozen_string_literal: true

# Run by spec/rmt/metrics_spec.rb in an RMT of its own (`rails runner -e test`,
# RMT's metrics switched by RMT_METRICS_ENABLED): sends requests through the
# whole app (middleware, RMT's controllers) and prints, as the last line, a
# JSON record of RMT's Prometheus figures before and after, as the exporter
# renders them from the DirectFileStore. Nothing here is RmtRs's own
# view of itself: the figures are what an operator's scrape would read.
require "json"
require "rack/mock"
require "mysql2"

N = Integer(ENV.fetch("METRICS_PROBE_N", "5"))

# yabeda-rails installs itself only under a server (`rails server`, Puma);
# this is what its Railtie does there.
Yabeda::Rails.install! if defined?(Yabeda::Rails) && Yabeda.metrics.keys.none? { |k| k.start_with?("rails_requests") }

# {"family{labels}" => value} of what the exporter would render now.
def scrape
  return {} unless defined?(Yabeda) && Yabeda.configured?

  Yabeda.collect!
  Prometheus::Client::Formats::Text.marshal(Prometheus::Client.registry).lines.each_with_object({}) do |line, figures|
    next if line.start_with?("#")

    series, value = line.strip.split(/ (?=[^ ]+\z)/)
    figures[series] = Float(value)
  end
end

def call(method, path, body: nil, auth: nil)
  env = Rack::MockRequest.env_for(path, method: method, input: body&.to_json, "CONTENT_TYPE" => "application/json",
                                        "HTTP_ACCEPT" => "application/json,application/vnd.scc.suse.com.v4+json")
  env["HTTP_AUTHORIZATION"] = auth if auth
  status, _headers, answer = Rails.application.call(env)
  text = +""
  answer.each { |part| text << part }
  answer.close if answer.respond_to?(:close)
  [status, text]
end

def basic(login, password)
  "Basic #{["#{login}:#{password}"].pack('m0')}"
end

before = scrape
systems = Array.new(N) do |i|
  status, text = call("POST", "/connect/subscriptions/systems", body: { hostname: "metrics-#{i}" },
                                                                auth: "Token token=")
  raise "announce answered #{status}: #{text}" unless status == 201

  JSON.parse(text).values_at("login", "password")
end
systems.each do |login, password|
  status, text = call("PUT", "/connect/systems", body: { hostname: "kept-alive", hwinfo: { cpus: 2 } }, auth: basic(login, password))
  raise "keepalive answered #{status}: #{text}" unless status == 204
end
after_answers = scrape

# A keepalive whose row another connection holds locked, past a deadline of
# 0.3 s: RmtRs answers 503 and counts its cause.
forced = nil
if ENV["METRICS_PROBE_DEADLINE"] == "1"
  Rails.application.config.rmt_rs.section = { "deadline" => 0.3 }
  RmtRs::Railtie.configure_from(ActiveRecord::Base.connection_db_config.configuration_hash)
  config = ActiveRecord::Base.connection_db_config.configuration_hash
  holder = Mysql2::Client.new(socket: config[:socket], username: config[:username], password: config[:password],
                              database: config[:database])
  login, password = systems.first
  holder.query("BEGIN")
  holder.query("SELECT id FROM systems WHERE login = '#{holder.escape(login)}' FOR UPDATE")
  forced = call("PUT", "/connect/systems", body: { hostname: "locked", hwinfo: { cpus: 4 } }, auth: basic(login, password)).first
  holder.query("ROLLBACK")
  holder.close
end

puts JSON.generate("pid" => Process.pid, "pool" => ActiveRecord::Base.connection_db_config.configuration_hash[:pool],
                   "before" => before, "after_answers" => after_answers, "after" => scrape, "forced" => forced,
                   "families" => defined?(Yabeda) ? Yabeda.metrics.keys : [])
