# frozen_string_literal: true

module Api
  module Connect
    module V4
      module Systems
        class ProductsController < Api::Connect::V3::Systems::ProductsController
        end
      end
    end
  end
end
