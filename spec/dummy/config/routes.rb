# frozen_string_literal: true

# RMT picks the API version from the Accept header: v4 is the default, v3 on request.
Rails.application.routes.draw do
  v3 = ->(request) { request.headers["Accept"].to_s.include?("application/vnd.scc.suse.com.v3+json") }
  namespace :connect, module: "api/connect", defaults: { format: "json" } do
    scope module: :v3, constraints: v3 do
      post "subscriptions/systems", to: "subscriptions/systems#announce_system"
    end
    scope module: :v4 do
      post "subscriptions/systems", to: "subscriptions/systems#announce_system"
    end
  end

  get "/api/health/status", to: "api/health#status"
end
