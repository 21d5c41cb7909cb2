# frozen_string_literal: true

# The report of `script/herd profile` (benches/profile.rb).
module HerdProfile
  module_function

  def report(started, profiles)
    <<~MD
      ## Where a Puma worker's CPU goes (profile), #{started.utc.strftime('%Y-%m-%d %H:%M UTC')}

      Command: `script/herd profile`. The runs of `script/herd quick` named below (same
      server: the real RMT 2.28 in production mode, Puma 2 workers x 5 threads, behind
      nginx with TLS; the same simulated clients and background fleet), each on RMT's
      Ruby path and with RmtRs. While each herd runs, one of Puma's two workers is
      sampled: rbspy #{Profilers::RBSPY_RATE} Hz (`--on-cpu --nonblocking`: the Ruby stack of the thread
      holding the GVL, only while that thread is on a CPU) and perf #{Profilers::PERF_RATE} Hz
      (`perf record -p`: cpu-clock, which samples only threads on a CPU; the innermost
      symbol and shared object). The machine's 2 cores are shared with the simulator,
      nginx, MariaDB and other work, so the samplers and the neighbours disturb the
      figures; CPU time per request is less disturbed than wall time, but compare
      columns of one report, not figures across reports.

      How a bucket's figure is made: its share of the worker's rbspy samples, times the
      CPU time the worker's Ruby threads used during the herd (Puma's threads, its
      reactor, Ruby's own; from `/proc/<pid>/task`), divided by the requests that
      worker logged (its "Completed" lines: the herd's, the fleet's and, with the
      engines, nginx's auth subrequests). RmtRs's tokio threads never hold the GVL:
      their CPU is its own row. A sample goes to the bucket of its innermost frame
      that belongs to a known component (the rules below), so a `Monitor#synchronize`
      inside `Logger` counts as logging and a C function counts for the Ruby code
      that called it.

      #{overview(profiles)}

      ### Ruby frames (rbspy), ms of CPU per request of the profiled worker

      #{bucket_table(profiles, profiles.map { |p| ms_per_request(p) })}

      ### Native frames (perf), ms of CPU per request of the profiled worker

      Where the same CPU goes by shared object: libruby is the interpreter (the Ruby
      code above) and its garbage collector; the kernel is system calls (sockets, the
      log's writes, futexes of the GVL and of RmtRs's wake-ups, clock reads); `rmt_rs.so` on Ruby
      threads is the binding's conversion of Ruby values, on tokio threads RmtRs's core.

      #{bucket_table(profiles, profiles.map { |p| native_ms(p) })}

      ### The buckets

      Checked in order on each frame, innermost first; the first rule whose file (and
      method, where given) matches names the bucket; no frame matching: "#{ProfileBuckets::OTHER}".

      | bucket | file pattern |
      |---|---|
      #{ProfileBuckets.rules_markdown}
    MD
  end
end
