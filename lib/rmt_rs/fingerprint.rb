# frozen_string_literal: true

require "ripper"
require "digest"

module RmtRs
  # The fingerprint of a piece of RMT's Ruby (a method, a callback block): a
  # digest of its source's tokens with comments and whitespace left out.
  #
  # Why the source and not the compiled instruction sequence: RmtRs must know
  # RMT's code on the Ruby the operator runs (SLES ships its own), and an
  # instruction sequence changes with the Ruby release and its compile options
  # while the code stays the same; the tokens change only when the code does. A
  # comment, a blank line, re-indenting or moving the method within its file keep
  # the fingerprint; any changed token (a name, a literal, an operator) changes it.
  module Fingerprint
    module_function

    # The fingerprint of a Method, UnboundMethod or Proc, or nil when Ruby cannot
    # say where its source is (a C method, code from eval without a file).
    def of(code)
      key = code.source_location
      return unless key

      @known ||= {}
      return @known[key] if @known.key?(key)

      source = source_of(code)
      @known[key] = source && digest(source)
    end

    # Forgets what was read (code reloaded in development).
    def reset!
      @known = {}
    end

    # The digest of Ruby source text: its tokens in order, without comments,
    # whitespace and line breaks.
    def digest(source)
      tokens = Ripper.lex(source).filter_map do |(_, _), kind, text|
        next if %i[on_comment on_sp on_nl on_ignored_nl on_embdoc_beg on_embdoc on_embdoc_end].include?(kind)

        text
      end
      Digest::SHA256.hexdigest(tokens.join("\0"))[0, 16]
    end

    # The source text of `code`: from the line where it starts to the first
    # line after which that text parses on its own (the `end` of a `def` or a
    # `do` block; the same line for a one-line block).
    def source_of(code)
      file, line = code.source_location
      return unless file && line && File.file?(file)

      source_text(File.readlines(file), line - 1)
    end

    # The text of `lines` from index `first` to the first line after which it
    # parses on its own.
    def source_text(lines, first)
      (first...lines.size).each do |last|
        text = lines[first..last].join
        return text if Ripper.sexp(text)
      end
      nil
    end
  end
end
