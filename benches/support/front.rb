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

  # `dir`: the nginx instance's folder (script/nginx's RMT_NGINX_DIR), nil
  # for the default one.
  def self.run(upstream_port, env, dir: nil)
    front = new(dir)
    system(env.merge("RMT_NGINX_HOST" => HOST).merge(front.env), SCRIPT, "start", upstream_port.to_s, front.port.to_s,
           exception: true)
    yield front
  ensure
    system(front.env, SCRIPT, "stop") if front
    FileUtils.rm_rf(REPOSITORIES)
  end

  # One nginx in front of each of `upstream_ports` (a region's servers, each
  # with its own address, as registercloudguest knows them): yields a Region
  # whose client options list the fronts in that order.
  def self.region(upstream_ports, env, fronts = [], &block)
    return yield Region.new(fronts) if fronts.size == upstream_ports.size

    dir = File.join(DatabaseHelpers::ROOT, "tmp/nginx-region-#{fronts.size + 1}")
    run(upstream_ports[fronts.size], env, dir: dir) { |front| region(upstream_ports, env, fronts + [front], &block) }
  end

  # The fronts of a region, as the herd uses one front.
  Region = Struct.new(:fronts) do
    def client_options
      fronts.first.client_options.tap { |options| options[1] = fronts.map(&:address).join(",") }
    end

    def pids
      fronts.flat_map(&:pids)
    end
  end

  def initialize(dir = nil)
    @dir = dir
  end

  # script/nginx's environment for this instance.
  def env
    @dir ? { "RMT_NGINX_DIR" => @dir } : {}
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

  def address
    "127.0.0.1:#{port}"
  end

  def client_options
    ["--address", address, "--host", HOST, "--tls-ca", `#{SCRIPT} ca`.strip]
  end

  # nginx's master and workers.
  def pids
    master = Integer(File.read(File.join(@dir || File.join(DatabaseHelpers::ROOT, "tmp/nginx"), "nginx.pid")).strip)
    [master, *`pgrep -P #{master}`.split.map { |pid| Integer(pid) }]
  end
end
