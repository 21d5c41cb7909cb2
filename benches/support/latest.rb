# frozen_string_literal: true

require "json"
require "time"

# results/LATEST.md: the report of the newest complete herd run, whatever its
# mode, as benches/herd.rb wrote it, with the command that reproduces it and
# where its figures and charts are. benches/herd.rb writes it after every run
# (and every HERD_RERENDER), so nobody edits figures by hand. The newest run
# is the latest `started` among results/herd-<mode>/results.json; partial runs
# (HERD_ONLY, results/herd-<mode>-partial/, not committed) do not count.
#
#   ruby benches/support/latest.rb     # writes it again from results/
module Latest
  RESULTS = File.expand_path("../../results", __dir__)

  module_function

  # Writes results/LATEST.md; returns the directory of the run it reports
  # (herd-<mode>), or nil when there is none.
  def write(results = RESULTS)
    runs = Dir[File.join(results, "herd-*/results.json")].reject { |file| File.dirname(file).end_with?("-partial") }
    newest = runs.max_by { |file| Time.parse(JSON.parse(File.read(file)).fetch("started")) }
    return nil unless newest

    dir = File.basename(File.dirname(newest))
    File.write(File.join(results, "LATEST.md"), text(results, dir))
    dir
  end

  def text(results, dir)
    mode = dir.delete_prefix("herd-")
    others = Dir[File.join(results, "herd-*/report.md")].map { |file| File.basename(File.dirname(file)) }
                                                        .reject { |name| name == dir || name.end_with?("-partial") }.sort
    <<~MD
      # The latest herd run

      Written by `benches/herd.rb` (`benches/support/latest.rb`) each time a run
      finishes: the report of the newest complete run under `results/`, as the
      benchmark wrote it. Do not edit it by hand.

      - Reproduce: `script/herd #{mode}`
      - Full report: [#{dir}/report.md](#{dir}/report.md); raw figures:
        [#{dir}/results.json](#{dir}/results.json); charts: the `*.svg` files in [#{dir}/](#{dir}/)
      - The latest report of each other mode: #{others.map { |name| "[#{name}/report.md](#{name}/report.md)" }.join(', ')}
      - How the benchmark works: [docs/benchmark.md](../docs/benchmark.md)

      #{File.read(File.join(results, dir, 'report.md')).chomp}
    MD
  end
end

puts "results/LATEST.md: the report of results/#{Latest.write}/" if $PROGRAM_NAME == __FILE__
