# frozen_string_literal: true

require "spec_helper"
require "json"
require_relative "support/rmt_database"
require_relative "support/http_herd"
require_relative "support/catalog"
require "base64"

# The real RMT under Puma as it runs in production (2 workers x 5 threads, pool
# 5, RMT's packaged settings), on each path, with many clients at once.
RSpec.describe "Announces through Puma in cluster mode", :puma do
  database = "rmt_rs_puma"
  announces = Integer(ENV.fetch("RMT_RS_PUMA_ANNOUNCES", 2000))
  concurrency = 40
  announce_headers = { "Content-Type" => "application/json",
                       "Accept" => "application/json,application/vnd.scc.suse.com.v4+json" }

  include_context "an RMT database", database

  def announce_body(index)
    { hostname: "herd-#{index}", hwinfo: { cpus: 2, arch: "x86_64", uuid: format("%032x", index) },
      system_profiles: { mod_list: { identifier: "mods-#{index % 7}", data: %w[ext4 xfs] } } }.to_json
  end

  { "Ruby" => false, "RmtRs" => true }.each do |name, rmt_rs|
    it "answers #{announces} concurrent announces on the #{name} path: each once, logins distinct, none lost" do
      RmtServer.run(database: database, rmt_rs: rmt_rs) do |server|
        requests = Array.new(announces) do |i|
          [:post, "/connect/subscriptions/systems", announce_body(i), announce_headers]
        end
        results = HttpHerd.run(server.port, requests, concurrency: concurrency)

        expect(results.map { |r| r.error || r.status }.tally).to eq(201 => announces)
        logins = results.map { |r| r.json["login"] }
        expect(logins.uniq.size).to eq(announces)
        rows = rmt_db.query("SELECT login, hostname FROM systems").map { |row| [row["login"], row["hostname"]] }
        expect(rows.sort).to eq(logins.zip(Array.new(announces) { |i| "herd-#{i}" }).sort)
        expect(rmt_db.query("SELECT COUNT(*) n FROM system_profiles").first["n"]).to eq(announces)
        expect(rmt_db.query("SELECT COUNT(*) n FROM profiles").first["n"]).to eq(7)
        expect(results.map(&:worker).uniq.size).to eq(2)
      end
    end
  end

  activating = Integer(ENV.fetch("RMT_RS_PUMA_ACTIVATING", 1000))

  { "Ruby" => false, "RmtRs" => true }.each do |name, rmt_rs|
    it "leaves one activation per system and service after #{activating * 2} concurrent activations on the #{name} path" do
      RmtServer.run(database: database, rmt_rs: rmt_rs) do |server|
        announced = HttpHerd.run(server.port, Array.new(activating) do |i|
          [:post, "/connect/subscriptions/systems", announce_body(i), announce_headers]
        end, concurrency: concurrency)
        expect(announced.map(&:status).uniq).to eq([201])
        # Every system activates its base product twice at once: a client retrying
        # while its first request is still running.
        requests = announced.flat_map do |r|
          auth = "Basic #{Base64.strict_encode64("#{r.json['login']}:#{r.json['password']}")}"
          [[:post, "/connect/systems/products", Catalog::SLES.to_json, announce_headers.merge("Authorization" => auth)]] * 2
        end
        results = HttpHerd.run(server.port, requests.shuffle(random: Random.new(42)), concurrency: concurrency)

        pairs = rmt_db.query("SELECT system_id, service_id, COUNT(*) n FROM activations GROUP BY 1, 2").to_a
        expect(pairs.size).to eq(activating)
        expect(pairs.map { |p| [p["service_id"], p["n"]] }.uniq).to eq([[2600, 1]])
        statuses = results.map { |r| r.error || r.status }.tally
        # RMT's first_or_create lets the loser of a race fail with a 500; RmtRs
        # answers both with the activation.
        rmt_rs ? expect(statuses).to(eq(201 => activating * 2)) : expect(statuses.keys - [201, 500]).to(be_empty)
      end
    end
  end

  define_method(:announce_all) do |server, count, offset: 0|
    requests = Array.new(count) { |i| [:post, "/connect/subscriptions/systems", announce_body(offset + i), announce_headers] }
    HttpHerd.run(server.port, requests, concurrency: 20)
  end

  def expect_each_written_once(results)
    expect(results.map { |r| r.error || r.status }.uniq).to eq([201])
    logins = results.map { |r| r.json["login"] }
    expect(rmt_db.query("SELECT login FROM systems").map { |row| row["login"] }.sort).to eq(logins.sort)
    expect(logins.uniq.size).to eq(logins.size)
  end

  it "serves RmtRs announces from workers forked off a preloaded app (preload_app!)" do
    RmtServer.run(database: database, rmt_rs: true, preload: true) do |server|
      expect_each_written_once(announce_all(server, 500))
    end
  end

  it "loses no announce during a phased restart of the workers" do
    RmtServer.run(database: database, rmt_rs: true) do |server|
      before = server.worker_pids
      herd = Thread.new { announce_all(server, 1500) }
      sleep 1
      Process.kill("USR1", server.pid) # Puma's phased restart: one worker at a time
      results = herd.value
      deadline = Time.now + 60
      sleep 0.2 until (server.worker_pids & before).empty? || Time.now > deadline
      expect(server.worker_pids & before).to be_empty
      expect_each_written_once(results + announce_all(server, 100, offset: 1500))
    end
  end

  it "keeps a worker answering other requests while its RmtRs announces wait on the database" do
    RmtServer.run(database: database, rmt_rs: true) do |server|
      locker = DatabaseHelpers.client(database: database)
      locker.query("LOCK TABLES systems WRITE")
      # More than one worker's 5 threads, so both workers hold waiting announces.
      waiting = Array.new(6) do |i|
        Thread.new { HttpHerd.call(server.port, :post, "/connect/subscriptions/systems", announce_body(i), announce_headers) }
      end
      blocked = lambda do
        rmt_db.query("SELECT COUNT(*) n FROM information_schema.processlist WHERE state LIKE 'Waiting for table%'")
               .first["n"]
      end
      # Well inside Puma's 60 s worker timeout: a worker stuck holding the GVL
      # takes one announce and no more, and never gets to 6.
      deadline = Time.now + 20
      sleep 0.05 until blocked.call == 6 || Time.now > deadline
      expect(blocked.call).to eq(6)

      probes = Array.new(20) { HttpHerd.call(server.port, :get, "/api/health/status", nil, {}, timeout: 10) }
      expect(probes.map { |r| r.error || r.status }).to all(eq(200))
      expect(blocked.call).to eq(6)
      expect(waiting.none? { |t| t.join(0) }).to be(true)

      locker.query("UNLOCK TABLES")
      answered = waiting.map(&:value)
      expect(answered.map(&:status)).to all(eq(201))
      expect(probes.map(&:worker) - answered.map(&:worker)).to be_empty
    ensure
      locker&.close # releases the lock also when an expectation fails
    end
  end
end
