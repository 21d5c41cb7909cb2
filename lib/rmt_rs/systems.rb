# frozen_string_literal: true

module RmtRs
  # The rest of a registered system's life in RMT's connect API, done in Rust.
  module Systems
    # `system_profiles:` when the request had no such key (RMT then leaves
    # the system's profiles alone).
    NOT_SENT = Object.new.freeze

    module_function

    # What RMT's `PUT /connect/systems` does (SUSEConnect's keepalive): the
    # system authenticated as for an activation, its uptimes (`online_at`:
    # "day:hours" entries) recorded, hostname and profiles (incomplete ones
    # found by type and identifier) replaced, the hwinfo added to what is
    # stored, the system token refreshed for a client that sent one.
    #
    # hostname        - String or nil (nil clears it, as in RMT)
    # hwinfo          - Hash (`params.permit(hwinfo: {})`); nil is refused
    #                   with 422 (RMT fails with a 500 there)
    # system_profiles - Hash of profile_type => {identifier, data}, or NOT_SENT
    # online_at       - Array of "YYYY-MM-DD:hours" Strings, or nil
    #
    # `caller` as for RmtRs::Products.activate (its `cloud`: RMT with its
    # public-cloud engines, scc_proxy's authentication).
    #
    # Returns a Response: 204 without a body, or RMT's refusal (401, 422).
    def update(caller:, hwinfo:, hostname: nil, system_profiles: NOT_SENT, online_at: nil)
      input = { "hwinfo" => hwinfo, "online_at" => online_at }
      input["system_profiles"] = Registration.stored_profiles(system_profiles) unless system_profiles.equal?(NOT_SENT)
      hostname = Registration.column_text(hostname, :varchar)
      Products.identified(caller) { |identifiers| Native.system_update(caller, identifiers, hostname, input) }
    end

    # What RMT's `GET /connect/systems/activations` answers (SUSEConnect's
    # `--status`, migrations): the system's activations with their
    # subscription's fields and their service and product tree.
    #
    # Returns a Response whose body is RMT's JSON as a String, or RMT's refusal.
    # `caller` as for RmtRs::Products.activate (its `cloud`: RMT with its
    # public-cloud engines, scc_proxy's authentication, zypper_auth's URLs);
    # `params` is not read.
    def activations(caller:, base_url:, params: nil)
      Products.call("activations", caller, params, base_url)
    end

    # What RMT's `DELETE /connect/systems` does: the system authenticated as
    # for an activation, then destroyed with its activations, uptimes and
    # profile links (a system SCC knows recorded as deregistered), and the
    # profiles no system links any more deleted.
    #
    # Returns a Response: 204 without a body, or RMT's refusal (401, 422).
    # With RMT's public-cloud engines (the caller's `cloud`, as for
    # RmtRs::Products.activate): authenticated as scc_proxy does, then a
    # Seam::Verify: its answer's headers and log go out, the engines' checks
    # run on its system, then `destroy` answers.
    def deregister(caller:)
      Products.identified(caller) { |identifiers| Native.deregister(caller, identifiers) }
    end

    # A public-cloud deregistration's second step: the system `id` (of the
    # Verify's system) destroyed as `deregister` destroys it. Returns RMT's 204,
    # whose `system_id` is nil when a racing request destroyed it first.
    def destroy(id)
      Products.answered(:destroy_system, Integer(id))
    end
  end
end
