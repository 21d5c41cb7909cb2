# frozen_string_literal: true

# Tasks run inside RMT (its Rakefile loads them through RmtRs's Railtie): what
# RmtRs knows of the running app's code, and what it answers there.
namespace :rmt_rs do
  desc "The fingerprints of the code on the path of every action RmtRs knows, in this app (JSON, for script/fingerprints)"
  task fingerprints: :environment do
    require "json"
    flavor = RmtRs::Ownership.expected_flavor
    pieces = RmtRs::Ownership::Path.all(flavor).sort.to_h do |name, code|
      [name, RmtRs::Fingerprint.of(code)]
    end
    release = defined?(RMT::VERSION) ? RMT::VERSION : "unknown"
    puts JSON.generate(release: release, flavor: flavor, pieces: pieces)
  end

  desc "What RmtRs answers in this app, action by action, and why it leaves the others to RMT"
  task ownership: :environment do
    puts RmtRs::Status.actions
  end

  desc "For each action RmtRs knows: the code on its path RmtRs does not know, and its diff against " \
       "RMT_REFERENCE (an RMT tree RmtRs knows); KNOWN=2.28 counts only those releases' code as known"
  task drift: :environment do
    reference = ENV["RMT_REFERENCE"]
    known = ENV["KNOWN"]&.split(/[ ,]/)
    RmtRs::Ownership::Drift.report(reference && Pathname(reference), known: known).each { |line| puts line }
  end
end

namespace :rmt_rs do
  desc "RmtRs's state in this RMT, for operators and supportconfig: version, switches and where they come from, " \
       "the database settings it derived (no password), catalog tracking, and what it answers"
  task status: :environment do
    puts RmtRs::Status.lines
  end
end
