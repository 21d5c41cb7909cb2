# frozen_string_literal: true

# CPU seconds and peak memory of processes, read from /proc (Linux).
module ProcessStats
  TICKS = Integer(`getconf CLK_TCK`.strip.then { |t| t.empty? ? "100" : t })

  module_function

  # User + system CPU seconds the process has used so far.
  def cpu_seconds(pid)
    fields = File.read("/proc/#{pid}/stat").split(") ", 2).last.split
    (Integer(fields[11]) + Integer(fields[12])).fdiv(TICKS)
  rescue Errno::ENOENT, Errno::ESRCH
    0.0
  end

  # Peak resident set size (VmHWM) in MiB.
  def peak_rss_mib(pid)
    kib = File.read("/proc/#{pid}/status")[/^VmHWM:\s+(\d+)/, 1]
    kib ? Integer(kib).fdiv(1024).round(1) : nil
  rescue Errno::ENOENT, Errno::ESRCH
    nil
  end
end
