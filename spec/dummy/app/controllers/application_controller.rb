# frozen_string_literal: true

# RMT's ApplicationController: the error JSON and system authentication (HTTP
# basic credentials plus the System-Token duplicate detection).
class ApplicationController < ActionController::API
  SYSTEM_TOKEN_HEADER = "System-Token"

  include ActionController::HttpAuthentication::Basic::ControllerMethods

  rescue_from ActionController::TranslatedError do |error|
    render json: { type: "error", error: error.message, localized_error: error.localized_message },
           status: error.status, location: nil
  end

  protected

  def authenticate_system
    authenticate_or_request_with_http_basic("RMT API") do |login, password|
      systems = System.get_by_credentials(login, password)
      unless systems.present?
        error = ActionController::TranslatedError.new("Invalid system credentials")
        error.status = :unauthorized
        raise error
      end

      @system = find_system_by_token_header(systems)
      update_user_agent
      if request.headers.key?(SYSTEM_TOKEN_HEADER)
        @system.update(last_seen_at: Time.zone.now)
        system_token_header
      elsif !@system.last_seen_at || @system.last_seen_at < 3.minutes.ago
        @system.touch(:last_seen_at)
      end
      true
    end
  end

  private

  def update_user_agent
    user_agent = request.headers["HTTP_USER_AGENT"]
    @system.set_system_information("user_agent", user_agent) unless user_agent&.downcase&.start_with?("zypp")
  end

  # No header: an old client, the first system. A token (or an empty one) that
  # matches: that system. Otherwise the credentials were copied to another
  # machine: a duplicate of the first system, with this token and its activations.
  def find_system_by_token_header(systems)
    return systems.first unless request.headers.key?(SYSTEM_TOKEN_HEADER)

    token = request.headers[SYSTEM_TOKEN_HEADER].presence
    found = systems.find { |s| s.system_token == token }
    return found if found

    original = systems.first
    original.dup.tap do |duplicate|
      duplicate.created_at = Time.zone.now
      duplicate.system_token = token
      duplicate.activations = original.activations.map(&:dup)
      duplicate.save!
    end
  end
end
