# frozen_string_literal: true

module RmtRs
  # The registration path of RMT's connect API, done in Rust.
  module Registration
    module_function

    # What RMT's `announce_system` action does: creates a system with fresh
    # credentials, its hwinfo and its system profiles, in one transaction, with
    # the GVL released while the database works.
    #
    # hostname        - String or nil; anything else is cast as ActiveRecord casts it
    # hwinfo          - Hash or nil; stored as Rails' JSON of it
    # system_profiles - Hash of profile_type => {identifier, data}, or nil
    #
    # Returns a Response: status 201, body {"id", "login", "password",
    # "last_seen_at"}, headers with "X-System-Profiles-Action" => "clear-cache"
    # when an incomplete or invalid profile was sent.
    # Raises TypeError for a non-Hash hwinfo or system_profiles, RmtRs::Error
    # subclasses for what RMT answers with an error status, and
    # RmtRs::UnprocessableEntity for input over RmtRs::Native::MAX_ENTRIES keys
    # and array items, MAX_BYTES of text or MAX_DEPTH levels.
    # payg            - nil, or for a pay-as-you-go instance announced with RMT's
    #                   public-cloud engines {identifier:, instance_data:}: the
    #                   provider's instance identifier (login and system token;
    #                   nil: a drawn login, no token) and the instance data sent
    def announce_system(hostname: nil, hwinfo: nil, system_profiles: nil, payg: nil)
      ensure_hash!(hwinfo, :hwinfo)
      ensure_hash!(system_profiles, :system_profiles)
      Products.configured!

      instance = payg && { identifier: column_text(payg[:identifier], :varchar),
                           instance_data: column_text(payg[:instance_data], :text) }
      announced = Seam.announced(Runtime.measure do
        Native.announce_system(column_text(hostname, :varchar), hwinfo, stored_profiles(system_profiles), instance)
      end)
      headers = announced.clear_profiles_cache ? { "X-System-Profiles-Action" => "clear-cache" } : {}
      Response.new(
        status: 201,
        body: { "id" => announced.id, "login" => announced.login, "password" => announced.password,
                "last_seen_at" => nil },
        headers: headers, log: [], serializer: "V3::SystemSerializer"
      )
    end

    def ensure_hash!(value, name)
      return if value.nil? || value.is_a?(Hash)

      raise TypeError, "#{name} must be a Hash, not #{value.class}"
    end

    # ActiveRecord's cast for RMT's string columns under the MySQL adapter
    # (varchar writes booleans as 1/0, text as t/f): an Array or a Hash becomes
    # its Ruby inspect text. Done here because only Ruby reproduces that text
    # exactly. SUSEConnect sends profile data as arrays of lines, so this is the
    # common case, not an edge.
    def column_text(value, column)
      case value
      when nil, String then value
      when true then column == :varchar ? "1" : "t"
      when false then column == :varchar ? "0" : "f"
      else value.to_s
      end
    end

    def stored_profiles(profiles)
      profiles&.transform_values do |info|
        next info unless info.is_a?(Hash)

        key = [:data, "data"].find { |k| info.key?(k) }
        key ? info.merge(key => column_text(info[key], :text)) : info
      end
    end
  end
end
