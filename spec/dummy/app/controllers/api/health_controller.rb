# frozen_string_literal: true

module Api
  # RMT's health check: answers without touching the database.
  class HealthController < ApplicationController
    def status
      render json: { state: "online" }
    end
  end
end
