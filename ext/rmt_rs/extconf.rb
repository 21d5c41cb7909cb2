# frozen_string_literal: true

# Builds the Rust extension with cargo. With the rb_sys gem installed, its mkmf
# does the work; without it (Debian ships no rb_sys gem) a small Makefile drives
# cargo directly. Either way the result is rmt_rs/rmt_rs.so.
require "mkmf"
require "rbconfig"

begin
  require "rb_sys/mkmf"
  create_rust_makefile("rmt_rs/rmt_rs")
rescue LoadError
  ext_dir = __dir__
  target_dir = ENV.fetch("CARGO_TARGET_DIR", File.expand_path("../../target", ext_dir))
  profile = ENV.fetch("RB_SYS_CARGO_PROFILE", "release")
  dlext = RbConfig::CONFIG["DLEXT"]
  built = File.join(target_dir, profile, "librmt_rs.so")

  File.write("Makefile", <<~MAKE)
    CARGO ?= cargo
    RUBY ?= #{RbConfig.ruby}
    sitearchdir ?= #{RbConfig::CONFIG["sitearchdir"]}
    target_prefix = /rmt_rs
    RUBYARCHDIR = $(sitearchdir)$(target_prefix)
    DLLIB = rmt_rs.#{dlext}

    all: $(DLLIB)

    $(DLLIB): FORCE
    \tRUBY=$(RUBY) $(CARGO) build --profile #{profile} --lib \\
    \t  --manifest-path #{File.join(ext_dir, "Cargo.toml")} --target-dir #{target_dir}
    \tcp #{built} $(DLLIB)

    install: $(DLLIB)
    \tmkdir -p $(DESTDIR)$(RUBYARCHDIR)
    \tcp $(DLLIB) $(DESTDIR)$(RUBYARCHDIR)/$(DLLIB)

    clean:
    \trm -f $(DLLIB)

    distclean: clean
    \trm -f Makefile

    FORCE:
    .PHONY: all install clean distclean FORCE
  MAKE
end
