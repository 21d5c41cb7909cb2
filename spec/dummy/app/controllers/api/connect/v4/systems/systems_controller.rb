# frozen_string_literal: true

module Api
  module Connect
    module V4
      module Systems
        class SystemsController < Api::Connect::V3::Systems::SystemsController
        end
      end
    end
  end
end
