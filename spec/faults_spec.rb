# frozen_string_literal: true

require "spec_helper"

# Faults RmtRs must survive without a crash, a wedged pool or a partial row:
# the database absent, stopped and restarted (on a second private MariaDB, so
# the rest of the suite keeps its own), and many processes at once.
RSpec.describe "RmtRs under faults", :faults do
  fault_dir = File.join(DatabaseHelpers::ROOT, "tmp/mariadb-faults")
  fault_socket = File.join(fault_dir, "mysqld.sock")
  mariadb = lambda do |action|
    system({ "RMT_RS_DB_DIR" => fault_dir }, File.join(DatabaseHelpers::ROOT, "script/mariadb"), action,
           exception: true, out: File::NULL)
  end
  fault_client = lambda do |database = nil|
    Mysql2::Client.new(socket: fault_socket, username: "root", database: database)
  end

  after(:all) do
    mariadb.call("stop")
    RmtRs.configure(database: DatabaseHelpers.settings)
  end

  def announce(hostname)
    RmtRs::Registration.announce_system(hostname: hostname, hwinfo: { "cpus" => 1 })
  end

  it "answers 503 while MariaDB is absent or stopped, and recovers by itself when it is back" do
    mariadb.call("stop")
    RmtRs.configure(database: { "socket" => fault_socket, "username" => "root", "database" => "rmt_rs_faults",
                                "pool" => 2, "timeout" => 1000 })
    expect { announce("absent at boot") }.to raise_error(RmtRs::ServiceUnavailable) { |e|
      expect(e.headers).to include("Retry-After")
    }

    mariadb.call("start")
    admin = fault_client.call
    admin.query("DROP DATABASE IF EXISTS rmt_rs_faults")
    admin.query("CREATE DATABASE rmt_rs_faults")
    loader = Mysql2::Client.new(socket: fault_socket, username: "root", database: "rmt_rs_faults",
                                flags: Mysql2::Client::MULTI_STATEMENTS)
    loader.query(File.read(File.join(DatabaseHelpers::ROOT, "db/schema.sql")))
    loader.store_result while loader.next_result
    loader.close
    expect(announce("after start").status).to eq(201)

    mariadb.call("stop")
    expect { announce("while stopped") }.to raise_error(RmtRs::ServiceUnavailable)

    mariadb.call("start")
    expect(announce("after restart").status).to eq(201)
    hostnames = fault_client.call("rmt_rs_faults").query("SELECT hostname FROM systems ORDER BY id").map { |r| r["hostname"] }
    expect(hostnames).to eq(["after start", "after restart"])
  end

  it "registers from many forked processes into one database: every system once, logins distinct" do
    RmtRs.configure(database: DatabaseHelpers.settings)
    expect(announce("parent, before fork").status).to eq(201) # the parent's engine is live when it forks
    children = Array.new(4) do |process|
      fork do
        threads = Array.new(5) do |thread|
          Thread.new { 50.times { |i| announce("p#{process}-t#{thread}-#{i}") } }
        end
        threads.each(&:join)
        exit!(0)
      rescue StandardError
        exit!(1)
      end
    end
    statuses = children.map { |pid| Process.wait2(pid).last.exitstatus }
    expect(statuses).to eq([0, 0, 0, 0])
    expect(count("systems")).to eq(1 + 4 * 5 * 50)
    expect(db.query("SELECT COUNT(DISTINCT login) n FROM systems").first["n"]).to eq(1 + 4 * 5 * 50)
    expect(announce("parent, after the children").status).to eq(201)
  end
end
