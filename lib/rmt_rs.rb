# frozen_string_literal: true

# RmtRs's binding (magnus) needs Ruby 3.0 or newer. RMT on SLE 15 runs Ruby 2.5,
# where RmtRs cannot load: it says so here, before anything else is read (this
# file parses on Ruby 2.5).
if Gem::Version.new(RUBY_VERSION) < Gem::Version.new("3.0")
  raise LoadError, "RmtRs needs Ruby 3.0 or newer, this is Ruby #{RUBY_VERSION} (RMT on SLE 15 runs Ruby 2.5): " \
                   "run RMT on a Ruby 3 (as openSUSE Tumbleweed builds it), or leave RmtRs out"
end

require_relative "rmt_rs/version"
require_relative "rmt_rs/errors"
require_relative "rmt_rs/response"
require_relative "rmt_rs/runtime"

begin
  # A precompiled gem keeps one build per Ruby version.
  require_relative "rmt_rs/#{RUBY_VERSION[/\d+\.\d+/]}/rmt_rs"
rescue LoadError
  require_relative "rmt_rs/rmt_rs"
end

require_relative "rmt_rs/configuration"
require_relative "rmt_rs/settings"
require_relative "rmt_rs/caller"
require_relative "rmt_rs/arrival"
require_relative "rmt_rs/seam"
require_relative "rmt_rs/registration"
require_relative "rmt_rs/products"
require_relative "rmt_rs/systems"
require_relative "rmt_rs/services"
require_relative "rmt_rs/railtie" if defined?(Rails::Railtie)

# RMT's connect API over a system's whole life, in Rust. Configure once per
# process (a Rails initializer), then call RmtRs::Registration, Products,
# Systems and Services, or let the Railtie switch RMT's controllers over.
module RmtRs
  module_function

  # Takes RMT's database settings: RmtRs.configure(database: {host:, username:,
  # password:, database:, pool:, timeout:, ...}). Nothing connects until the
  # first registration, so calling this in a Puma master before it forks is fine.
  def configure(database:)
    Configuration.apply(database)
    nil
  end

  # For a forked child (Puma's on_worker_boot): drop the parent's runtime and pool
  # claim, closing the child's copies of the pool's sockets. RmtRs does this by
  # itself in every child (ForkHook); calling it again is harmless.
  def after_fork
    Native.after_fork
  end

  # Ruby 3.1 calls Process._fork for every fork (Kernel#fork, Process.fork,
  # IO.popen("-")): the child lets go of the parent's pool at once, instead of
  # keeping its sockets (and so MariaDB the connections) until its first call.
  module ForkHook
    def _fork
      pid = super
      RmtRs::Native.after_fork if pid.zero?
      pid
    end
  end
  Process.singleton_class.prepend(ForkHook) if Process.respond_to?(:_fork)

  # Installs the catalog version (db/catalog_tracking.sql: one table, triggers on
  # the catalog tables) that lets RmtRs cache product trees without ever serving
  # one after the catalog changed. Idempotent; moves an older install to the
  # current design and folds closed connections' rows. Needs the TRIGGER privilege.
  def install_catalog_tracking
    raise NotConfigured, "RmtRs is not configured: call RmtRs.configure first" unless Native.configured?

    Native.install_catalog_tracking
  end
end
