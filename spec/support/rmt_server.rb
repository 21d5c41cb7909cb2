# frozen_string_literal: true

require "socket"
require "net/http"

# The real RMT (script/rmt server: production mode, RMT's packaged settings, Puma
# in cluster mode) on a free port and its own database, with RMT's Ruby path or
# RmtRs. Used by the Puma specs and the benchmarks.
class RmtServer
  ROOT = File.expand_path("../..", __dir__)
  SCRIPT = File.join(ROOT, "script/rmt")
  BOOT_TIMEOUT = 180

  attr_reader :port, :pid, :log

  # A fresh database with RMT's schema, for one spec file or benchmark.
  def self.create_database(name)
    system(SCRIPT, "database", name, exception: true, out: File::NULL)
  end

  # A port of the loopback nobody listens on now (for the server, or another
  # listener of it such as RMT's Prometheus exporter).
  def self.free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end

  def self.run(**options)
    server = new(**options)
    server.start
    yield server
  ensure
    server&.stop
  end

  # `env`: more environment for RMT (e.g. RACK_TIMEOUT).
  def initialize(database:, rmt_rs:, preload: false, workers: 2, threads: 5, log: nil, env: {})
    @database = database
    @rmt_rs = rmt_rs
    @env = { "RMT_RS" => rmt_rs ? "1" : "0", "RMT_DATABASE" => database, "RMT_WORKERS" => workers.to_s,
             "RMT_THREADS" => threads.to_s, "RMT_RS_PRELOAD" => preload ? "1" : "0",
             "RMT_RS_WORKER_HEADER" => "1", **env }
    @workers = workers
    @log = log || File.join(ROOT, "tmp/rmt-#{rmt_rs ? 'rust' : 'ruby'}.log")
  end

  # RMT logs to standard output in production: one log for Puma and Rails.
  alias rails_log log

  def start
    @port = RmtServer.free_port
    File.write(log, "")
    @pid = Process.spawn(@env, SCRIPT, "server", port.to_s, out: log, err: log, pgroup: true)
    wait_until_booted
  end

  # Puma's workers, for CPU and memory figures.
  def worker_pids
    File.read(log).scan(/Worker \d+ \(PID: (\d+)\) booted/).flatten.map(&:to_i).last(@workers)
  end

  # The exceptions RMT logged since `since` bytes into its log, by class.
  def errors_logged(since = 0)
    # The class follows the tags on the FATAL line, or (Rails' multi-line
    # report) starts the next line.
    File.read(log).byteslice(since..).to_s
        .scan(/FATAL -- : (?:\[[^\]]*\] )*\s*\n?([A-Z]\w*(?:::\w+)+) \(/).flatten.tally
  end

  def stop
    return unless @pid

    Process.kill("TERM", @pid)
    Process.kill("KILL", -@pid) unless wait_for_exit(30)
  rescue Errno::ESRCH
    nil
  ensure
    Process.wait(@pid) rescue nil # rubocop:disable Style/RescueModifier
    @pid = nil
  end

  private

  def wait_until_booted
    deadline = Time.now + BOOT_TIMEOUT
    until worker_pids.size == @workers && answers?
      raise "RMT did not boot (#{log}):\n#{File.read(log)[-3000..]}" if Time.now > deadline || exited?

      sleep 0.2
    end
  end

  def answers?
    Net::HTTP.get_response("127.0.0.1", "/api/health/status", port).code == "200"
  rescue SystemCallError, IOError
    false
  end

  def exited?
    Process.wait(@pid, Process::WNOHANG)
  end

  def wait_for_exit(seconds)
    (seconds * 10).times do
      return true if Process.wait(@pid, Process::WNOHANG)

      sleep 0.1
    end
    false
  end
end
