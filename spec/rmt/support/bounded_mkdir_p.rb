# frozen_string_literal: true

require "fileutils"

# RMT's specs stub File.directory? around FileUtils.mkdir_p (instance_verification's
# products_controller_spec, "when system doesn't have hw_info"). fileutils 1.6.0 as
# Debian's Ruby 3.1.2 ships it climbs `until File.directory?(path)`, past "/" for
# ever under that stub; later fileutils (Ruby 3.1.7's among them) stops at the root,
# which the spec relies on. RMT's test process only: its mkdir_p stops there too.
module BoundedMkdirP
  # Only where the running fileutils can loop; others keep their own.
  def self.needed?
    FileUtils.singleton_method(:mkdir_p).source_location&.then do |file, line|
      body = File.readlines(file)[(line - 1)..(line + 25)].join
      body.include?("until File.directory?(path)\n")
    end
  end

  def mkdir_p(list, mode: nil, noop: nil, verbose: nil)
    return super if noop || verbose

    list = fu_list(list)
    list.each do |item|
      path = remove_trailing_slash(item)
      stack = []
      until File.directory?(path) || File.dirname(path) == path
        stack.push(path)
        path = File.dirname(path)
      end
      stack.reverse_each do |dir|
        fu_mkdir(dir, mode)
      rescue SystemCallError
        raise unless File.directory?(dir)
      end
    end
    list
  end
end

FileUtils.singleton_class.prepend(BoundedMkdirP) if BoundedMkdirP.needed?
