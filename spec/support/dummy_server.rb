# frozen_string_literal: true

require "socket"
require "net/http"

# The dummy RMT app under Puma in cluster mode (spec/dummy/config/puma.rb: RMT's
# production defaults), on a free port, with the Ruby path or RmtRs. Used by the
# cluster specs and the benchmarks.
class DummyServer
  DUMMY = File.expand_path("../dummy", __dir__)
  BOOT_TIMEOUT = 120

  attr_reader :port, :pid, :log, :rails_log

  def self.run(**options)
    server = new(**options)
    server.start
    yield server
  ensure
    server&.stop
  end

  # `env`: more environment for the app (e.g. RACK_TIMEOUT).
  def initialize(database:, rmt_rs:, preload: false, workers: 2, log: nil, env: {})
    @env = env
    @database = database
    @rmt_rs = rmt_rs
    @preload = preload
    @workers = workers
    @log = log || File.join(DatabaseHelpers::ROOT, "tmp/puma-#{rmt_rs ? 'rust' : 'ruby'}.log")
    @rails_log = @log.sub(/\.log\z/, "-rails.log")
  end

  def start
    @port = free_port
    env = { "PORT" => port.to_s, "RMT_RS" => @rmt_rs ? "1" : "0", "DUMMY_DATABASE" => @database,
            "PUMA_PRELOAD" => @preload ? "1" : "0", "PUMA_WORKERS" => @workers.to_s, "RAILS_ENV" => "production",
            "DUMMY_LOG" => rails_log, **@env }
    File.write(log, "")
    File.write(rails_log, "")
    @pid = Process.spawn(env, Gem.ruby, Gem.bin_path("puma", "puma"), "-C", "config/puma.rb", "config.ru",
                         chdir: DUMMY, out: log, err: log, pgroup: true)
    wait_until_booted
  end

  # Puma's own pids: the master and its workers, for CPU and memory figures.
  def worker_pids
    File.read(log).scan(/Worker \d+ \(PID: (\d+)\) booted/).flatten.map(&:to_i).last(@workers)
  end

  # The exceptions the app logged since `since` bytes into its log, by class.
  def errors_logged(since = 0)
    File.read(rails_log).byteslice(since..).to_s.scan(/^([A-Z]\w*(?:::\w+)+) \(/).flatten.tally
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
      raise "Puma did not boot (#{log}):\n#{File.read(log)[-2000..]}" if Time.now > deadline || exited?

      sleep 0.1
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

  def free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end
end
