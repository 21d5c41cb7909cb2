# frozen_string_literal: true

require "spec_helper"

# Faults RmtRs must survive without a crash, a wedged pool or a partial row:
# the database absent, stopped and restarted, lock waits, no connection left
# (on a second private MariaDB, so the rest of the suite keeps its own), and
# many processes at once.
RSpec.describe "RmtRs under faults", :faults do
  fault_dir = File.join(DatabaseHelpers::ROOT, "tmp/mariadb-faults")
  fault_socket = File.join(fault_dir, "mysqld.sock")
  database = "rmt_rs_faults"

  define_method(:mariadb) do |action|
    system({ "RMT_RS_DB_DIR" => fault_dir }, File.join(DatabaseHelpers::ROOT, "script/mariadb"), action,
           exception: true, out: File::NULL)
  end

  define_method(:fault_client) do |db = database, user: "root", password: nil|
    Mysql2::Client.new(socket: fault_socket, username: user, password: password, database: db)
  end

  define_method(:use_fault_server) do |user: "root", password: nil|
    RmtRs.configure(database: { "socket" => fault_socket, "username" => user, "password" => password,
                                "database" => database, "pool" => 2, "timeout" => 1000 })
  end

  # Starts the fault server with an empty RMT schema.
  define_method(:fresh_fault_database) do
    mariadb("start")
    admin = fault_client(nil)
    admin.query("DROP DATABASE IF EXISTS #{database}")
    admin.query("CREATE DATABASE #{database}")
    loader = Mysql2::Client.new(socket: fault_socket, username: "root", database: database,
                                flags: Mysql2::Client::MULTI_STATEMENTS)
    loader.query(File.read(File.join(DatabaseHelpers::ROOT, "db/schema.sql")))
    loader.store_result while loader.next_result
    loader.close
    admin
  end

  define_method(:rows) do
    fault_client.query("SELECT (SELECT COUNT(*) FROM systems) + (SELECT COUNT(*) FROM profiles) + " \
                       "(SELECT COUNT(*) FROM system_profiles) AS n").first["n"]
  end

  after(:all) do
    mariadb("stop")
    RmtRs.configure(database: DatabaseHelpers.settings)
  end

  def announce(hostname, profiles: nil)
    RmtRs::Registration.announce_system(hostname: hostname, hwinfo: { "cpus" => 1 }, system_profiles: profiles)
  end

  it "answers 503 while MariaDB is absent or stopped, and recovers by itself when it is back" do
    mariadb("stop")
    use_fault_server
    expect { announce("absent at boot") }.to raise_error(RmtRs::ServiceUnavailable) { |e|
      expect(e.headers).to include("Retry-After")
    }

    fresh_fault_database
    expect(announce("after start").status).to eq(201)
    mariadb("stop")
    expect { announce("while stopped") }.to raise_error(RmtRs::ServiceUnavailable)
    mariadb("start")
    expect(announce("after restart").status).to eq(201)
    hostnames = fault_client.query("SELECT hostname FROM systems ORDER BY id").map { |r| r["hostname"] }
    expect(hostnames).to eq(["after start", "after restart"])
  end

  it "answers 503 on a lock wait timeout, writes nothing, and registers once the lock is gone" do
    admin = fresh_fault_database
    admin.query("SET GLOBAL innodb_lock_wait_timeout = 1")
    use_fault_server
    holder = fault_client
    holder.query("BEGIN")
    holder.query("INSERT INTO profiles (profile_type, identifier, data, created_at, updated_at) " \
                 "VALUES ('pci_data', 'same', 'x', NOW(), NOW())")
    profiles = { "pci_data" => { "identifier" => "same", "data" => "x" } }
    expect { announce("waits on the holder", profiles: profiles) }
      .to raise_error(RmtRs::ServiceUnavailable, "The database is busy (error 1205); try again later")
    holder.query("ROLLBACK")
    expect(rows).to eq(0)
    expect(announce("after the holder", profiles: profiles).status).to eq(201)
    expect(rows).to eq(3)
  ensure
    admin&.query("SET GLOBAL innodb_lock_wait_timeout = 50")
  end

  it "answers 503 when MariaDB has no connection left, and registers once one is free" do
    admin = fresh_fault_database
    admin.query("CREATE OR REPLACE USER rmt@localhost IDENTIFIED BY 'rmt-pw'")
    admin.query("GRANT ALL ON #{database}.* TO rmt@localhost")
    use_fault_server(user: "rmt", password: "rmt-pw")
    admin.query("SET GLOBAL max_connections = 10") # MariaDB's minimum
    occupants = []
    loop do
      occupants << fault_client(user: "rmt", password: "rmt-pw")
    rescue Mysql2::Error
      break
    end
    expect { announce("no connection left") }.to raise_error(RmtRs::ServiceUnavailable, /error 1040/)
    occupants.each(&:close)
    expect(announce("a connection freed up").status).to eq(201)
    expect(rows).to eq(1)
  ensure
    admin&.query("SET GLOBAL max_connections = 1000")
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
