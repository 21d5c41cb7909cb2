# frozen_string_literal: true

module RmtRs
  # Which of RMT's actions RmtRs answers, and the proof that it may.
  #
  # RmtRs owns an action whole: none of the controller's callbacks run for it,
  # because RmtRs does what they do. That is only right while the callbacks are
  # the ones it was written from. RmtRs knows two apps: RMT 2.28 (flavor :rmt)
  # and RMT 2.28 with the public-cloud engines of rmt-server-pubcloud
  # (:pubcloud). An action is owned in a flavor only when, in the running app,
  # (1) the action is that flavor's method (RMT's, or scc_proxy's announce),
  # (2) the controller's callbacks are exactly the flavor's (same kind, name and
  # defining file), (3) the serializers and helpers shaping the answer are the
  # flavor's (RMT's URLs, or zypper_auth's), and (4) the models RmtRs writes
  # have the flavor's callbacks and no others. Anything else (a site's own
  # code, an engine RmtRs does not know, part of the engines, a newer RMT that
  # renamed a callback) leaves the action on RMT's Ruby path, and the boot log
  # says why. This holds for V3, V4 and any subclass RMT or an engine defines.
  #
  # The table of what RmtRs owns and what each action must find in the app:
  # ownership/table.rb; the checks of the running app against it, and the
  # verdicts the controller hook looks up: ownership/checker.rb.
  module Ownership
  end
end

require_relative "fingerprint"
require_relative "ownership/table"
require_relative "ownership/fingerprints"
require_relative "ownership/path"
require_relative "ownership/checker"
require_relative "ownership/drift"
require_relative "ownership/release"
