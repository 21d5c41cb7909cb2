# frozen_string_literal: true

# Where a Puma worker's CPU goes, by component: `script/herd profile` sorts
# each on-CPU sample of rbspy (the Ruby stack of the thread holding the GVL)
# into one bucket, by the sample's innermost frame that belongs to a known
# component (frames of the standard library, concurrent-ruby and the like
# belong to none, so a Monitor#synchronize inside Logger counts as logging).
# RULES is the whole classification, checked in order on each frame; the
# report prints it.
module ProfileBuckets
  CALL = "RmtRs: the call into Rust (conversion in and out, GVL)"
  API = "RmtRs: Ruby API (keywords, Caller, Seam)"
  OTHER = "other (Ruby core and gems of no component)"

  # [bucket, file pattern, method pattern or nil]. The bucket may name a
  # capture of the file pattern (a middleware's file).
  RULES = [
    # RmtRs's API modules call RmtRs::Native: a C function on top of them is
    # the call into Rust (Rust's own work runs on its threads without the GVL,
    # not sampled here).
    [CALL, %r{/rmt_rs/(?:registration|products|systems|services)\.rb\z}, :native],
    [API, %r{/rmt_rs/(?:registration|products|systems|services|caller|seam|response|errors|pubcloud_call)\.rb\z}, nil],
    ["rendering", %r{/rmt_rs/rendering\.rb\z}, nil],
    ["RmtRs: the engines' checks it runs (Pubcloud)", %r{/rmt_rs/pubcloud\.rb\z}, nil],
    ["RmtRs: controller hook, ownership (Ruby)", %r{/rmt_rs/}, nil],
    # The benchmark's harness (never in production; timings are off in profile mode).
    ["harness (benchmark only)", %r{zz_rmt_rs_harness|harness_initializer}, nil],
    ["the engines' checks", %r{/engines/(?!rmt_rs/)|instance_verification}, nil],
    ["ActiveSupport notifications", %r{active_support/(?:notifications|subscriber)}, nil],
    ["logging", %r{/logger\.rb\z|active_support/(?:logger|tagged_logging|log_subscriber)|(?:action_controller|action_view|active_record)/log_subscriber|rails/rack/logger|active_model_serializers/logging}, nil],
    ["parameter parsing, strong parameters", %r{json/common\.rb\z}, /parse|load/],
    ["rendering", %r{json/common\.rb\z|active_support/(?:json|core_ext/object/json)}, nil],
    ["parameter parsing, strong parameters", %r{action_dispatch/http/(?:parameters|parameter_filter)|action_controller/metal/(?:params_wrapper|strong_parameters)|rack/query_parser|active_support/(?:parameter_filter|hash_with_indifferent_access)}, nil],
    ["parameter parsing, strong parameters", %r{action_dispatch/http/request\.rb\z|rack/request\.rb\z}, /POST|GET|param|body|form_data|raw_post/],
    ["rendering", %r{action_controller/metal/(?:rendering|renderers|head|etag|conditional_get)|abstract_controller/rendering|action_view/|active_model_serializers|active_model/serializer|/app/serializers/|action_dispatch/http/response}, nil],
    ["routing", %r{action_dispatch/(?:journey|routing)}, nil],
    ["Rack env, request objects", %r{puma/(?:request|client)\.rb\z}, /env|normalize|default_server_port/],
    ["Rack env, request objects", %r{action_dispatch/http/(?:request|headers|url|mime_negotiation|filter_parameters|cache)|rack/request\.rb\z|rack/utils}, nil],
    ["middleware: \\1", %r{action_dispatch/middleware/(\w+)\.rb\z}, nil],
    ["middleware: \\1", %r{rack/(\w+)\.rb\z}, nil],
    ["middleware: executor, reloader", %r{active_support/(?:execution_wrapper|reloader)}, nil],
    ["middleware: ActiveRecord's", %r{active_record/(?:query_cache|migration)}, nil],
    ["controller dispatch (ActionPack, callbacks)", %r{action_controller/|abstract_controller/|active_support/callbacks}, nil],
    ["ActiveRecord, mysql2", %r{active_record/|/mysql2|/arel/|active_model/}, nil],
    ["RMT's app code", %r{/app/(?:controllers|models|services|lib)/|/lib/rmt(?:/|\.rb)}, nil],
    ["Rails application call", %r{rails/(?:engine|application)\.rb\z}, nil],
    ["Puma", %r{/puma/}, nil]
  ].freeze

  module_function

  # rbspy's collapsed output: one line per distinct stack, outermost frame
  # first, frames "name - path:line" joined by ";", then the count.
  def read(file)
    File.readlines(file, chomp: true).each_with_object(Hash.new(0)) do |line, buckets|
      stack, count = line.rpartition(" ").values_at(0, 2)
      next if stack.empty?

      buckets[classify(stack.split(";").reverse)] += Integer(count)
    end
  end

  # `frames`: innermost first.
  def classify(frames)
    leaf_native = native?(frames.first)
    frames.each do |frame|
      name, path = frame_parts(frame)
      next unless path

      RULES.each do |bucket, file, method|
        match = file.match(path)
        next unless match
        next if method == :native && !leaf_native
        next if method.is_a?(Regexp) && !method.match?(name)

        return bucket.gsub("\\1") { match[1].to_s }
      end
    end
    OTHER
  end

  def frame_parts(frame)
    name, path = frame.split(" - ", 2)
    path = path&.sub(/:\d+\z/, "")
    [name, path == "(unknown)" ? nil : path]
  end

  # rbspy names a C function "name [c function] - (unknown)".
  def native?(frame)
    frame.to_s.include?("[c function]")
  end

  # The classification as Markdown, for the report.
  def rules_markdown
    RULES.map do |bucket, file, method|
      condition = case method
                  when :native then " (the innermost frame a C function)"
                  when Regexp then " (method matching `#{method.source.gsub('|', '\\|')}`)"
                  else ""
                  end
      "| #{bucket.sub('\\1', '<file>')} | `#{file.source.gsub('|', '\\|')}`#{condition} |"
    end.join("\n")
  end
end
