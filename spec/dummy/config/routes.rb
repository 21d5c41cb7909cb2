# frozen_string_literal: true

# RMT picks the API version from the Accept header: v4 is the default, v3 on request.
Rails.application.routes.draw do
  v3 = ->(request) { request.headers["Accept"].to_s.include?("application/vnd.scc.suse.com.v3+json") }
  namespace :connect, module: "api/connect", defaults: { format: "json" } do
    [[:v3, v3], [:v4, nil]].each do |version, constraint|
      scope module: version, constraints: constraint do
        post "subscriptions/systems", to: "subscriptions/systems#announce_system"
        get "systems/products", to: "systems/products#show"
        post "systems/products", to: "systems/products#activate"
        put "systems", to: "systems/systems#update"
      end
    end
  end

  get "services/:id", to: "services#show", as: :service
  get "/api/health/status", to: "api/health#status"
end
