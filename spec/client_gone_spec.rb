# frozen_string_literal: true

require "spec_helper"
require "json"
require "socket"
require_relative "support/rmt_database"

GONE_DATABASE = "rmt_rs_gone"

# A client that gives up closes its connection (behind nginx, nginx then
# closes its own to Puma) while its request runs or waits for a thread. RMT
# runs it to the end and commits a system nobody will use; RmtRs looks at the
# connection before it runs a request and again before its COMMIT, and writes
# nothing for a client that left. (Puma itself drops a connection that ended
# before it read the request.) Straight to Puma here: the connection the
# client closes is the one Puma reads.
RSpec.describe "A request whose client left while it ran", :puma do

  include_context "an RMT database", GONE_DATABASE

  # SUSEConnect's announce, held up by a lock on `systems` (another
  # connection's LOCK TABLES), its client gone before the lock is released.
  def announce_and_leave(server)
    body = { hostname: "gone", hwinfo: { cpus: 2, arch: "x86_64" } }.to_json
    locker = DatabaseHelpers.client(database: GONE_DATABASE)
    locker.query("LOCK TABLES systems WRITE")
    socket = TCPSocket.new("127.0.0.1", server.port)
    socket.write("POST /connect/subscriptions/systems HTTP/1.1\r\nHost: 127.0.0.1:#{server.port}\r\n" \
                 "Content-Type: application/json\r\nAccept: application/json\r\nAuthorization: Token token=\r\n" \
                 "Content-Length: #{body.bytesize}\r\nConnection: close\r\n\r\n#{body}")
    wait_for { File.read(server.log).include?("Started POST") }
    sleep 1 # inside the announce by now, waiting on the lock
    socket.close
    sleep 0.5
    locker.query("UNLOCK TABLES")
    locker.close
    wait_for { File.read(server.log).split("Started POST", 2)[1]&.[](/Completed (\d{3})/, 1) }
  end

  # The block's first truthy value within 30 s, or nil.
  def wait_for
    60.times do
      found = yield
      return found if found

      sleep 0.5
    end
    nil
  end

  it "commits its system on RMT's Ruby path" do
    RmtServer.run(database: GONE_DATABASE, rmt_rs: false, workers: 1, threads: 2) do |server|
      expect(announce_and_leave(server)).to eq("201")
      expect(rmt_db.query("SELECT hostname FROM systems").map { |row| row["hostname"] }).to eq(["gone"])
    end
  end

  it "writes nothing with RmtRs, and still registers a client that stays" do
    RmtServer.run(database: GONE_DATABASE, rmt_rs: true, workers: 1, threads: 2) do |server|
      expect(announce_and_leave(server)).to eq("503")
      expect(rmt_db.query("SELECT COUNT(*) n FROM systems").first["n"]).to eq(0)

      response = Net::HTTP.post(URI("http://127.0.0.1:#{server.port}/connect/subscriptions/systems"),
                                { hostname: "stays" }.to_json,
                                "Content-Type" => "application/json", "Accept" => "application/json",
                                "Authorization" => "Token token=")
      expect(response.code).to eq("201")
      expect(rmt_db.query("SELECT hostname FROM systems").map { |row| row["hostname"] }).to eq(["stays"])
    end
  end
end
