# frozen_string_literal: true

require "spec_helper"
require "active_support"
require "active_support/json"
require "time"

RSpec.describe RmtRs::Registration do
  def announce(**args)
    described_class.announce_system(**args)
  end

  describe ".announce_system" do
    it "answers like RMT's V3 system serializer and writes the system row" do
      before = Time.now.utc.floor
      response = announce(hostname: "web-1", hwinfo: { "cpus" => 2, "arch" => "x86_64" })

      expect(response.status).to eq(201)
      expect(response.headers).to eq({})
      expect(response.body.keys).to eq(%w[id login password last_seen_at])
      expect(response.body["login"]).to match(/\ASCC_\h{32}\z/)
      expect(response.body["password"]).to match(/\A\h{16}\z/)
      expect(response.body["last_seen_at"]).to be_nil

      row = system_row(response.body["id"])
      expect(row).to include(
        "login" => response.body["login"], "password" => response.body["password"], "hostname" => "web-1",
        "system_information" => '{"cpus":2,"arch":"x86_64"}', "last_seen_at" => nil, "system_token" => nil,
        "proxy_byos_mode" => 0, "scc_registered_at" => nil
      )
      expect(row["registered_at"]).to be >= before
      expect(row["created_at"]).to eq(row["registered_at"])
      expect(row["updated_at"]).to eq(row["registered_at"])
    end

    it "stores absent hwinfo as the JSON text null, as RMT does" do
      response = announce
      expect(system_row(response.body["id"])).to include("hostname" => nil, "system_information" => "null")
    end

    it "accepts symbol keys and numeric hostnames as Rails would cast them" do
      response = announce(hostname: 42, hwinfo: { cpus: 4, nested: { list: [1, 2.0, nil] } })
      expect(system_row(response.body["id"])).to include(
        "hostname" => "42", "system_information" => '{"cpus":4,"nested":{"list":[1,2.0,null]}}'
      )
    end

    it "stores hwinfo byte for byte as Rails' to_json does" do
      samples = [
        { "html" => "<script>alert('x') && 1 > 0</script>", "<key>" => "&" },
        { "unicode" => "Grüße 😀 \u2028 \u2029 \u0001 \u001f \u007f", "quote" => "a\"b\\c/d" },
        { "floats" => [0.1, 1.0e20, 1.0e-5, 123_456.789, -0.0, 1e16, 1e15], "big" => 2**70 },
        { "numbers_as_strings" => "16384", "bool" => [true, false], "empty" => {}, "none" => [] },
        { "huge" => "x" * 100_000 },
        # Keys that are one once Rails has turned them into strings: the first's
        # position, the last's value.
        { a: 1, "a" => 2, 1 => "one", "b" => nil, "1" => "uno", b: [3] }
      ]
      random = Random.new(RSpec.configuration.seed)
      alphabet = ["a", "<", ">", "&", "\"", "\\", "\n", "\t", "\u2028", "é", "😀", "\u0000", " "]
      20.times do
        samples << Array.new(random.rand(1..6)) do |i|
          key = Array.new(random.rand(0..5)) { alphabet.sample(random: random) }.join + i.to_s
          value = [random.rand(-1e6..1e6), random.rand(-10**20..10**20), alphabet.sample(random: random) * 3,
                   nil, true, [random.rand]].sample(random: random)
          [key, value]
        end.to_h
      end

      samples.each do |hwinfo|
        response = announce(hwinfo: hwinfo)
        stored = system_row(response.body["id"])["system_information"]
        expect(stored).to eq(hwinfo.to_json), "for #{hwinfo.inspect[0, 200]}"
      end
    end

    it "converts Ruby values safely while the GC runs at every allocation" do
      hwinfo = { "cpus" => 2, "nested" => { "list" => Array.new(50) { |i| { "k#{i}" => "v" * i, "f" => i / 3.0 } } } }
      profiles = { "pci" => { "identifier" => "gc", "data" => "d" * 100 } }
      response = begin
        GC.stress = true
        announce(hostname: "gc-stress", hwinfo: hwinfo, system_profiles: profiles)
      ensure
        GC.stress = false
      end
      expect(system_row(response.body["id"])["system_information"]).to eq(hwinfo.to_json)
    end

    it "finds or creates complete profiles, links them and asks to clear the cache for the rest" do
      db.query("INSERT INTO profiles (profile_type, identifier, data, created_at, updated_at) " \
               "VALUES ('cpu', 'known', 'old', NOW(6), NOW(6))")
      response = announce(system_profiles: {
                            "cpu" => { "identifier" => "known", "data" => "ignored" },
                            "pci" => { identifier: "new", data: "pci data" },
                            "mem" => { "identifier" => "no-data" },
                            "bad" => { "identifier" => "", "data" => "x" }
                          })
      expect(response.headers).to eq("X-System-Profiles-Action" => "clear-cache")
      linked = db.query(<<~SQL).map { |r| [r["profile_type"], r["identifier"], r["data"]] }
        SELECT p.profile_type, p.identifier, p.data FROM system_profiles sp
        JOIN profiles p ON p.id = sp.profile_id WHERE sp.system_id = #{response.body['id']} ORDER BY sp.id
      SQL
      expect(linked).to eq([%w[cpu known old], ["pci", "new", "pci data"]])
      expect(count("profiles")).to eq(2)
    end

    it "sends no cache header when every profile is complete" do
      response = announce(system_profiles: { "cpu" => { "identifier" => "c", "data" => "d" } })
      expect(response.headers).to eq({})
    end
  end

  describe "bad input" do
    def expect_nothing_written
      expect(%w[systems profiles system_profiles].map { |t| count(t) }).to eq([0, 0, 0])
    end

    it "refuses a non-Hash hwinfo or system_profiles with TypeError" do
      expect { announce(hwinfo: "cpus=2") }.to raise_error(TypeError, /hwinfo must be a Hash/)
      expect { announce(hwinfo: [1]) }.to raise_error(TypeError)
      expect { announce(system_profiles: "x") }.to raise_error(TypeError, /system_profiles must be a Hash/)
      expect_nothing_written
    end

    it "casts a non-String hostname and profile data as ActiveRecord does, to their Ruby text" do
      response = announce(hostname: ["a", 1], system_profiles: {
                            "pci_data" => { "identifier" => "p", "data" => ["00:00.0 Host bridge", "01:00.0 \"VGA\""] },
                            "flags" => { "identifier" => "f", "data" => false }
                          })
      expect(system_row(response.body["id"])["hostname"]).to eq('["a", 1]')
      expect(db.query("SELECT profile_type, data FROM profiles ORDER BY profile_type").map(&:values))
        .to eq([%w[flags f], ["pci_data", '["00:00.0 Host bridge", "01:00.0 \\"VGA\\""]']])
    end

    it "answers 422 for a hostname the utf8mb3 column cannot hold, and writes nothing" do
      expect do
        announce(hostname: "host-😀", system_profiles: { "cpu" => { "identifier" => "c", "data" => "d" } })
      end.to raise_error(RmtRs::UnprocessableEntity) { |e|
        expect(e.status).to eq(422)
        expect(e.body).to eq("type" => "error", "error" => "Incorrect string value for systems.hostname",
                             "localized_error" => "Incorrect string value for systems.hostname")
      }
      expect_nothing_written
    end

    it "answers RMT's validation message for a new profile without data, and writes nothing" do
      expect do
        announce(system_profiles: { "cpu" => { "identifier" => "c", "data" => "d" },
                                    "pci" => { "identifier" => "p", "data" => nil } })
      end.to raise_error(RmtRs::UnprocessableEntity, "Validation failed: Data can't be blank")
      expect_nothing_written
    end

    it "stores SQL and markup in every field verbatim, as data" do
      hostile = "'); DROP TABLE systems; -- \" OR 1=1 <script>&amp;</script> \\ %s %n"
      response = announce(hostname: hostile, hwinfo: { hostile => hostile },
                          system_profiles: { hostile => { "identifier" => hostile, "data" => hostile } })
      row = system_row(response.body["id"])
      expect(row["hostname"]).to eq(hostile)
      expect(JSON.parse(row["system_information"])).to eq(hostile => hostile)
      expect(db.query("SELECT profile_type, identifier, data FROM profiles").first.values).to eq([hostile] * 3)
    end

    it "refuses a hostname longer than its column and hwinfo nested deeper than 256 levels, writing nothing" do
      expect { announce(hostname: "h" * 10_000_000) }.to raise_error(RmtRs::UnprocessableEntity,
                                                                       "Value too long for hostname")
      deep = 300.times.reduce({}) { |inner, _| { "n" => inner } }
      expect { announce(hwinfo: deep) }.to raise_error(RmtRs::UnprocessableEntity,
                                                       "hwinfo is nested deeper than 256 levels")
      expect_nothing_written
    end

    describe "size limits, checked while converting with the GVL held" do
      let(:max_entries) { RmtRs::Native::MAX_ENTRIES }
      let(:max_bytes) { RmtRs::Native::MAX_BYTES }

      it "refuses hwinfo with 50,000 keys with 422 while a sibling thread keeps running" do
        huge = Array.new(50_000) { |i| ["key#{i}", i] }.to_h
        ticks = 0
        ticker = Thread.new { 500.times { ticks += 1; sleep 0.001 } }
        refused = []
        # One request after another, as a Puma thread would take them.
        refuser = Thread.new do
          while ticker.alive?
            refused << begin
              announce(hostname: "huge", hwinfo: huge).status
            rescue RmtRs::UnprocessableEntity => e
              [e.status, e.message]
            end
            sleep 0.001
          end
        end
        # Generous: a conversion holding the GVL for long lets the ticker take one
        # step per request, so it would need many times this.
        expect(ticker.join(30)).not_to be_nil
        refuser.join
        expect(ticks).to eq(500)
        expect(refused.uniq).to eq([[422, "hwinfo is too large: more than #{max_entries} keys and array items"]])
        expect_nothing_written
      ensure
        [ticker, refuser].compact.each(&:kill)
      end

      it "stores a request at its limits and refuses one more key, item or byte, counting all arguments" do
        at_limit = Array.new(max_entries - 1) { |i| [i.to_s, nil] }.to_h.merge("list" => [])
        response = announce(hwinfo: at_limit)
        expect(system_row(response.body["id"])["system_information"]).to eq(at_limit.to_json)
        one_more_item = at_limit.merge("list" => [1])
        one_more_key = { "p" => { "identifier" => "i", "data" => "d" } }
        expect { announce(hwinfo: one_more_item) }
          .to raise_error(RmtRs::UnprocessableEntity, "hwinfo is too large: more than #{max_entries} keys and array items")
        expect { announce(hwinfo: at_limit, system_profiles: one_more_key) }
          .to raise_error(RmtRs::UnprocessableEntity, /\Asystem_profiles is too large: more than #{max_entries} keys/)

        text = { "k" => "x" * (max_bytes - 1) }
        response = announce(hwinfo: text)
        expect(system_row(response.body["id"])["system_information"]).to eq(text.to_json)
        expect { announce(hwinfo: { "kk" => text["k"] }) }
          .to raise_error(RmtRs::UnprocessableEntity, "hwinfo is too large: more than #{max_bytes} bytes of keys and strings")
        expect(count("systems")).to eq(2)
      end

      it "keeps the first position and the last value of keys repeated many times over" do
        hwinfo = {}
        2_000.times { |i| hwinfo[:"k#{i}"] = i }
        2_000.times { |i| hwinfo["k#{1_999 - i}"] = -i }
        response = announce(hwinfo: hwinfo)
        expect(system_row(response.body["id"])["system_information"]).to eq(hwinfo.to_json)
      end
    end

    it "refuses values JSON cannot carry and strings that are not UTF-8" do
      expect { announce(hwinfo: { "t" => Time.now }) }.to raise_error(TypeError, /Time/)
      expect { announce(hwinfo: { "b" => "\xff\xfe".b }) }.to raise_error(StandardError)
      expect_nothing_written
    end
  end

  describe "inside a threaded server" do
    def with_locked_systems_table
      locker = client
      locker.query("LOCK TABLES systems WRITE")
      yield
    ensure
      locker.query("UNLOCK TABLES")
      locker.close
    end

    it "releases the GVL while waiting on the database, so sibling threads run" do
      ticks = 0
      with_locked_systems_table do
        caller_thread = Thread.new { announce(hostname: "waits") }
        sleep 0.1
        ticker = Thread.new { 300.times { ticks += 1; sleep 0.001 } }
        ticker.join
        expect(caller_thread).to be_alive
        @caller_thread = caller_thread
      end
      expect(ticks).to eq(300)
      expect(@caller_thread.value.status).to eq(201)
    end

    it "is interrupted by Timeout within a second when stuck on a locked table, writing nothing" do
      with_locked_systems_table do
        started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        expect { Timeout.timeout(0.3) { announce(hostname: "never") } }.to raise_error(Timeout::Error)
        expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 1.0
      end
      expect(count("systems")).to eq(0)
      expect(announce(hostname: "after").status).to eq(201)
      expect(db.query("SELECT hostname FROM systems").map { |r| r["hostname"] }).to eq(["after"])
    end

    context "when saturated" do
      def reconfigured(**settings)
        RmtRs.configure(database: DatabaseHelpers.settings.merge(settings.transform_keys(&:to_s)))
        yield
      ensure
        RmtRs.configure(database: DatabaseHelpers.settings)
      end

      it "answers 503 with Retry-After when no connection frees up within `timeout`, writing nothing" do
        reconfigured(pool: 1, timeout: 200, retry_after: 7) do
          with_locked_systems_table do
            holder = Thread.new { announce(hostname: "holds the only connection") }
            sleep 0.2
            expect { announce(hostname: "waits for a connection") }.to raise_error(RmtRs::ServiceUnavailable) { |e|
              expect([e.status, e.headers, e.body["error"]])
                .to eq([503, { "Retry-After" => "7" }, "No database connection became free in time; try again later"])
            }
            @holder = holder
          end
          expect(@holder.value.status).to eq(201)
          expect(db.query("SELECT hostname FROM systems").map { |r| r["hostname"] }).to eq(["holds the only connection"])
        end
      end

      it "gives up at the deadline with 503 instead of keeping the client past its own timeout" do
        reconfigured(deadline: 300) do
          with_locked_systems_table do
            expect { announce(hostname: "late") }.to raise_error(RmtRs::ServiceUnavailable, /within 0.3 s/)
          end
          expect(count("systems")).to eq(0)
          expect(announce(hostname: "in time").status).to eq(201)
        end
      end

      it "refuses a request older than its client's patience before writing, counting from its arrival" do
        env = { "HTTP_X_REQUEST_START" => format("t=%.3f", Time.now.to_f - 55) }
        expect { RmtRs::Arrival.during(env) { announce(hostname: "gone") } }
          .to raise_error(RmtRs::ServiceUnavailable, /longer than its client waits \(50 s\)/)
        expect(count("systems")).to eq(0)
        # That request only: the next call counts from itself.
        expect(announce(hostname: "next").status).to eq(201)
      end
    end

    it "lets Thread#kill end a call stuck on the database" do
      with_locked_systems_table do
        thread = Thread.new { announce(hostname: "killed") }
        sleep 0.2
        thread.kill
        expect(thread.join(1)).not_to be_nil
      end
      expect(count("systems")).to eq(0)
    end

    it "registers from a forked child after the parent used the pool" do
      expect(announce(hostname: "parent").status).to eq(201)
      pid = fork do
        response = announce(hostname: "child")
        exit!(response.status == 201 ? 0 : 1)
      rescue Exception # rubocop:disable Lint/RescueException
        exit!(2)
      end
      _, status = Process.wait2(pid)
      expect(status.exitstatus).to eq(0)
      expect(announce(hostname: "parent-again").status).to eq(201)
      expect(db.query("SELECT hostname FROM systems ORDER BY id").map { |r| r["hostname"] })
        .to eq(%w[parent child parent-again])
    end

    it "closes the parent's pool sockets in a forked child at once, leaving the parent's connections working" do
      sockets = lambda do
        Dir.children("/proc/self/fd").filter_map do |fd|
          File.readlink("/proc/self/fd/#{fd}")[/\Asocket:\[(\d+)\]\z/, 1]
        rescue SystemCallError
          nil
        end
      end
      mysql2 = File.readlink("/proc/self/fd/#{db.socket}")[/\d+/]
      RmtRs.configure(database: DatabaseHelpers.settings) # a fresh pool, built by the announces below
      before = sockets.call
      Array.new(4) { |i| Thread.new { announce(hostname: "parent-#{i}") } }.each(&:join)
      pool = sockets.call - before
      expect(pool).not_to be_empty

      reader, writer = IO.pipe
      pid = fork do
        reader.close
        open = sockets.call # before anything of RmtRs is called in the child
        writer.write(Marshal.dump([pool & open, open.include?(mysql2)]))
        writer.close
        exit!(0)
      end
      writer.close
      still_open, mysql2_open = Marshal.load(reader.read) # rubocop:disable Security/MarshalLoad
      Process.wait(pid)
      expect(still_open).to eq([])
      expect(mysql2_open).to be(true) # only RmtRs's own sockets are closed

      # The parent's copies are untouched: it answers on the same connections.
      expect(announce(hostname: "parent-after").status).to eq(201)
      expect(sockets.call - before).to match_array(pool)
      expect(count("systems")).to eq(5)
    end

    it "gives hundreds of concurrent announces as many rows with distinct logins" do
      logins = Queue.new
      threads = Array.new(20) do |t|
        Thread.new do
          15.times { |i| logins << announce(hostname: "h#{t}-#{i}", hwinfo: { "t" => t }).body["login"] }
        end
      end
      threads.each(&:join)
      all = Array.new(logins.size) { logins.pop }
      expect(all.size).to eq(300)
      expect(all.uniq.size).to eq(300)
      expect(db.query("SELECT COUNT(*) AS n, COUNT(DISTINCT login) AS d FROM systems").first)
        .to eq("n" => 300, "d" => 300)
    end
  end
end
