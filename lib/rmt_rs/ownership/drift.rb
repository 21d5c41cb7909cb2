# frozen_string_literal: true

require "open3"
require "tempfile"

module RmtRs
  module Ownership
    # What `rake rmt_rs:drift` prints for an RMT (a new release, a site's
    # tree): for each action RmtRs knows, the code on its path whose
    # fingerprint is not in the table, and that code's diff against the same
    # method in a reference tree RmtRs knows. Adding a release is then a
    # reviewed change of the table (script/fingerprints) plus whatever
    # behaviour the diffs show changed.
    module Drift
      module_function

      # Lines to print; `reference`: the root of an RMT tree RmtRs knows, or
      # nil; `known`: the releases whose code counts as known (default: all the
      # table has), to see a release against a table that lacks it.
      def report(reference, known: nil)
        flavor = Ownership.expected_flavor
        unknown = {}
        lines = ["RMT #{defined?(RMT::VERSION) ? RMT::VERSION : '(no version)'}, #{flavor}: code RmtRs does not know"]
        ACTIONS.select { |entry| entry.flavor == flavor }.each do |entry|
          controller = entry.controller.safe_constantize
          next lines << "#{entry.controller}##{entry.action}: the controller is missing" unless controller

          names = Path.pieces(controller, entry).reject do |name, code|
            releases = Ownership.releases_of(name, flavor, code)
            known ? (releases & known).any? : releases.any?
          end
          unknown.merge!(names)
          lines << "#{entry.controller}##{entry.action}: " \
                   "#{names.empty? ? 'all its code is known' : names.keys.join(', ')}"
        end
        unknown.sort.each { |name, code| lines.concat(["", *piece(name, code, flavor, reference)]) }
        lines
      end

      def piece(name, code, flavor, reference)
        file, line = code.source_location
        relative = Path.relative(file)
        known = FINGERPRINTS.fetch(name, {})
        head = "== #{name} (#{relative}:#{line}, fingerprint #{Fingerprint.of(code) || 'none'}): " +
               (known.empty? ? "new, in no release RmtRs knows" : "changed from #{known.values.uniq.join(', ')}")
        [head, *diff(reference, name, relative, Fingerprint.source_of(code).to_s)]
      end

      # `diff -u` of the same method in the reference tree's file, when there
      # is one; blocks are found by their file and kind only, so not diffed.
      def diff(reference, name, relative, current)
        method = name[/[#.]([^#.]+)\z/, 1]
        return [] unless reference && method && !name.include?(" block")

        path = reference.join(relative)
        return ["(not in #{reference}: #{relative})"] unless path.file?

        lines = path.readlines
        at = lines.index { |l| l =~ /^\s*def (self\.)?#{Regexp.escape(method)}\b/ }
        return ["(#{relative} of #{reference} has no method #{method})"] unless at

        was = Fingerprint.source_text(lines, at).to_s
        Tempfile.create("was") do |a|
          Tempfile.create("now") do |b|
            a.write(was) && a.flush
            b.write(current) && b.flush
            out, = Open3.capture2("diff", "-u", "--label", "#{reference.basename}/#{relative}", "--label",
                                  "running/#{relative}", a.path, b.path)
            out.lines(chomp: true)
          end
        end
      end
    end
  end
end
