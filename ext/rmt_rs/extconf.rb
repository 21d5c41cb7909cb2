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
  root = File.expand_path("../..", ext_dir)
  # In a checkout cargo's target/ is the one `cargo test` shares. Installed as a
  # gem, cargo builds in a folder of the build directory that `make install`
  # removes once the extension is copied out: cargo's 400 MB of intermediate
  # files do not stay in the gem's directory.
  private_target = !ENV.key?("CARGO_TARGET_DIR") && !File.exist?(File.join(root, ".git"))
  target_dir = ENV.fetch("CARGO_TARGET_DIR") do
    private_target ? File.join(Dir.pwd, "cargo-target") : File.join(root, "target")
  end
  drop_target = private_target ? "\trm -rf #{target_dir}" : ""
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
    #{drop_target}

    clean:
    \trm -f $(DLLIB)
    #{drop_target}

    distclean: clean
    \trm -f Makefile

    FORCE:
    .PHONY: all install clean distclean FORCE
  MAKE
end
