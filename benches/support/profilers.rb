# frozen_string_literal: true

require "fileutils"
require_relative "process_stats"

# The samplers `script/herd profile` attaches to one Puma worker while a herd
# runs: rbspy (Ruby frames of the thread holding the GVL, on-CPU samples only;
# --nonblocking: it reads the stacks without stopping the worker, since its
# ptrace stops, hundreds a second, added kernel time and context switches to
# the very worker measured, and drew samples towards system calls)
# and, where the kernel lets it, perf (native frames: the innermost symbol and
# shared object of each on-CPU sample, every thread); and the CPU time of
# each of the worker's threads (from /proc), which the samples' shares divide.
module Profilers
  RBSPY_RATE = 500
  PERF_RATE = 499

  module_function

  def rbspy
    ENV.fetch("RBSPY", File.join(Dir.home, ".cargo/bin/rbspy")).then { |p| File.executable?(p) ? p : "rbspy" }
  end

  # Whether perf can sample here (a container may forbid perf_event_open).
  def perf?
    @perf = system("perf", "stat", "-e", "cpu-clock", "true", out: File::NULL, err: File::NULL) if @perf.nil?
    @perf
  end

  # Starts both samplers on `pid`, writing into `dir`; returns what stop needs.
  def start(pid, dir)
    FileUtils.mkdir_p(dir)
    rb = File.join(dir, "rbspy.collapsed")
    pids = { rbspy: Process.spawn(rbspy, "record", "--pid", pid.to_s, "--rate", RBSPY_RATE.to_s, "--on-cpu",
                                  "--format", "collapsed", "--file", rb, "--raw-file", File.join(dir, "rbspy.raw.gz"), "--silent", "--nonblocking",
                                  out: File.join(dir, "rbspy.log"), err: [:child, :out]) }
    if perf?
      pids[:perf] = Process.spawn("perf", "record", "-F", PERF_RATE.to_s, "-p", pid.to_s, "-o",
                                  File.join(dir, "perf.data"), out: File.join(dir, "perf.log"), err: [:child, :out])
    end
    { pids: pids, dir: dir, rbspy: rb, worker: pid }
  end

  # Stops the samplers (both write their files on SIGINT).
  def stop(session)
    session[:pids].each_value { |pid| Process.kill("INT", pid) }
    session[:pids].each_value { |pid| Process.wait(pid) }
    session
  end

  # CPU seconds of each thread of `pid`, by thread id: [name, seconds].
  def thread_cpu(pid)
    Dir["/proc/#{pid}/task/*"].to_h do |task|
      name = File.read(File.join(task, "comm")).strip
      [File.basename(task), [name, ProcessStats.cpu_seconds("#{pid}/task/#{File.basename(task)}")]]
    rescue Errno::ENOENT
      [File.basename(task), ["gone", 0.0]]
    end
  end

  # The CPU each kind of thread used between two thread_cpu readings.
  # Ruby threads (Puma's pool, its reactor, the main thread) take the GVL;
  # RmtRs's tokio threads never touch Ruby.
  def cpu_by_kind(before, after)
    after.each_with_object(Hash.new(0.0)) do |(tid, (name, seconds)), kinds|
      kinds[thread_kind(name)] += seconds - before.fetch(tid, [name, 0.0]).last
    end
  end

  def thread_kind(name)
    case name
    when /tokio|rmt.rs/i then :rust
    else :ruby
    end
  end

  # perf's samples as [thread name, shared object, symbol] => count.
  def perf_samples(session)
    data = File.join(session[:dir], "perf.data")
    return {} unless File.exist?(data)

    out = IO.popen(["perf", "script", "-i", data, "-F", "comm,ip,sym,dso", err: File::NULL], &:read)
    out.each_line.each_with_object(Hash.new(0)) do |line, counts|
      # "comm (may hold spaces)  ip  symbol+offset (dso)"
      comm, sym, dso = line.strip.match(/\A(.*?)\s+\h+\s+(.*?)\s+\((.*)\)\z/)&.captures
      next unless comm

      counts[[comm, File.basename(dso), sym.sub(/\+0x\h+\z/, "")]] += 1
    end
  end
end
