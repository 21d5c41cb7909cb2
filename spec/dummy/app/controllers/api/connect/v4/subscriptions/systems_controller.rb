# frozen_string_literal: true

module Api
  module Connect
    module V4
      module Subscriptions
        class SystemsController < Api::Connect::V3::Subscriptions::SystemsController
        end
      end
    end
  end
end
