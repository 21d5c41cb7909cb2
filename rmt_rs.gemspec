# frozen_string_literal: true

require_relative "lib/rmt_rs/version"

Gem::Specification.new do |spec|
  spec.name = "rmt_rs"
  spec.version = RmtRs::VERSION
  spec.authors = ["RmtRs developers"]
  spec.summary = "RMT's connect API, over a system's whole life, in Rust"
  spec.description = "A native extension that takes over the connect API of SUSE's Repository Mirroring Tool " \
                     "for a system's whole life (announce, activations and the product tree, keepalives, " \
                     "service refreshes, migrations, deregistration, product listings, with or without the " \
                     "public-cloud engines): the same responses and rows, with the GVL released."
  spec.license = "GPL-2.0-or-later"
  spec.required_ruby_version = ">= 3.0"

  spec.files = Dir["lib/**/*.{rb,rake}", "ext/**/*.{rb,rs,toml}", "src/**/*.rs", "db/*.sql",
                   "Cargo.toml", "Cargo.lock", "README.md", "COPYING"]
  spec.require_paths = ["lib"]
  spec.extensions = ["ext/rmt_rs/extconf.rb"]
end
