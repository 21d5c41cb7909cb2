# frozen_string_literal: true

require "fileutils"
require "socket"
require_relative "../../spec/support/database"

# benches/herd.rb's front: RMT's nginx as RMT's package configures it, started
# and stopped around each server a herd runs against; the address and TLS
# options the simulator reaches it by, the repository metadata it serves, and
# its processes (for their CPU).

# RMT's nginx in front of a running RMT (script/nginx).
class Front
  HOST = "rmt.herd.test"
  SCRIPT = File.join(DatabaseHelpers::ROOT, "script/nginx")

  def self.run(upstream_port, env)
    front = new
    system(env.merge("RMT_NGINX_HOST" => HOST), SCRIPT, "start", upstream_port.to_s, front.port.to_s, exception: true)
    yield front
  ensure
    system(SCRIPT, "stop")
    FileUtils.rm_rf(REPOSITORIES)
  end

  # What nginx serves of the repositories: RMT's public/repo (the catalog's
  # are not mirrored here).
  REPOSITORIES = File.join(`#{File.join(DatabaseHelpers::ROOT, 'script/rmt')} dir`.strip, "public/repo")

  # The metadata file of each enabled repository of the seeded catalog, so
  # the fleet's `zypper refresh` finds what a mirrored RMT serves.
  def self.publish_repository_metadata(db)
    db.query("SELECT local_path FROM repositories WHERE enabled").each do |row|
      file = File.join(REPOSITORIES, row["local_path"], "repodata/repomd.xml")
      FileUtils.mkdir_p(File.dirname(file))
      File.write(file, %(<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo"/>\n))
    end
  end

  def port
    @port ||= Front.free_port
  end

  def self.free_port
    TCPServer.new("127.0.0.1", 0).then { |s| s.addr[1].tap { s.close } }
  end

  # Where nothing listens: a region's server that is down.
  def self.dead_address
    "127.0.0.1:#{free_port}"
  end

  def client_options
    ["--address", "127.0.0.1:#{port}", "--host", HOST, "--tls-ca", `#{SCRIPT} ca`.strip]
  end

  # nginx's master and workers.
  def pids
    master = Integer(File.read(File.join(DatabaseHelpers::ROOT, "tmp/nginx/nginx.pid")).strip)
    [master, *`pgrep -P #{master}`.split.map { |pid| Integer(pid) }]
  end
end
