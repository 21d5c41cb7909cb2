# frozen_string_literal: true

class ApplicationController < ActionController::API
  rescue_from ActionController::TranslatedError do |error|
    render json: { type: "error", error: error.message, localized_error: error.localized_message },
           status: error.status, location: nil
  end
end
