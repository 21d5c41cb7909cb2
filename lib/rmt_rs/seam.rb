# frozen_string_literal: true

module RmtRs
  # What the binding (RmtRs::Native, ext/rmt_rs/src) answers, named. It answers
  # with records, Hashes keyed by symbols, and this module is the one place
  # that reads them: each becomes a Response or one of the classes below. A
  # field renamed on one side fails here at once, by name (Struct raises on an
  # unknown keyword, `fetch` on a missing one), instead of shifting a slot.
  # What Ruby hands the binding is named too: a Caller, read by member.
  module Seam
    # The system an announce created (Registration.announce_system makes RMT's
    # answer of it).
    Announced = Struct.new(:id, :login, :password, :clear_profiles_cache, keyword_init: true)

    # RMT's public-cloud engines authenticate by instance identifier: `wanted`
    # is [[system_id, instance_data]] of the systems with the credentials
    # (oldest first), for Caller#identify; the binding is asked again with
    # what it finds.
    Identify = Struct.new(:wanted, keyword_init: true)

    # An answer that goes out once the engines' checks pass on `system` (the
    # system's columns): zypper_auth's and the registry's instance
    # verification of an index, the activations list or nginx's auth check
    # (whose verdict is the answer's status); for a deregistration SCC's and
    # the registry's, before Systems.destroy answers. `cached`: zypper_auth's
    # instance cache holds the PAYG system (the auth check's, InstanceCache).
    Verify = Struct.new(:answer, :system, :cached, keyword_init: true)

    # A public-cloud activation, deactivation or upgrade that passed
    # authentication and RMT's checks: the system's and the product's columns,
    # the headers set so far ([[name, value]]: the System-Token header, when
    # RMT sets one), and the binding's ticket (RmtRs::Native::Ticket), which
    # Products.finish hands back once the engines' checks passed; `log`, the
    # line authentication wrote (scc_proxy's), or nil.
    Pending = Struct.new(:system, :product, :headers, :ticket, :log, keyword_init: true) do
      # "activation", "deactivation" or "upgrade".
      def finishes
        ticket.finishes
      end
    end

    # How RMT renders a body that is neither one serializer's nor a Hash as is
    # (Response#serializer, which is then a serializer's name or nil): `kind`
    # :text for JSON text RMT built from `times` collections `serializer`
    # serialized, :prebuilt for a `serializer` RMT builds itself, :plain for
    # plain text (strict_authentication's refusal of a service refresh).
    Serialized = Struct.new(:kind, :serializer, :times, keyword_init: true)
    PLAIN = Serialized.new(kind: :plain).freeze

    module_function

    def announced(record)
      Announced.new(**record)
    end

    # A Response, or with the engines an Identify, Verify or Pending.
    def outcome(record)
      case record.fetch(:kind)
      when :answer then response(record)
      when :identify then Identify.new(wanted: record.fetch(:wanted))
      when :verify
        Verify.new(answer: response(record.fetch(:answer)), system: record.fetch(:system), cached: record.fetch(:cached))
      when :pending then Pending.new(**record.except(:kind))
      else raise InternalError, "RmtRs answered a #{record[:kind].inspect} record"
      end
    end

    def response(record)
      raise InternalError, "RmtRs answered a #{record[:kind].inspect} record" unless record.fetch(:kind) == :answer

      Response.new(status: record.fetch(:status), body: record.fetch(:body), headers: record.fetch(:headers).to_h,
                   activations_changed: record.fetch(:activations_changed), log: record.fetch(:log),
                   serializer: serializer(record.fetch(:serializer)), system_id: record.fetch(:system_id))
    end

    def serializer(value)
      value.is_a?(Hash) ? Serialized.new(**value) : value
    end
  end
end
