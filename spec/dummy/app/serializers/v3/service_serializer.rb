# frozen_string_literal: true

module V3
  # RMT's V3::ServiceSerializer: the service of the activated product.
  class ServiceSerializer
    def initialize(service, base_url:, obsoleted_service_name: nil)
      @service = service
      @base_url = base_url
      @obsoleted_service_name = obsoleted_service_name
    end

    def as_json(*)
      { id: @service.id, name: @service.name,
        url: Rails.application.routes.url_helpers.service_url(@service, host: @base_url, credentials: @service.name),
        obsoleted_service_name: @obsoleted_service_name || "",
        product: ProductSerializer.new(@service.product, base_url: @base_url).as_json }
    end
  end
end
