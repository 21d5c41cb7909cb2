# frozen_string_literal: true

module Api
  module Connect
    class BaseController < ApplicationController
    end
  end
end
