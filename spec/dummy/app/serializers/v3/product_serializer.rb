# frozen_string_literal: true

module V3
  # RMT's V3::ProductSerializer: the product, its repositories and the
  # recursive tree of its extensions for the root product.
  class ProductSerializer
    def initialize(product, base_url:, root_product: nil)
      @product = product
      @base_url = base_url
      @root_product = root_product || product
    end

    def as_json(*)
      p = @product
      { id: p.id, name: p.name, identifier: p.identifier, former_identifier: p.former_identifier, version: p.version,
        release_type: p.release_type, release_stage: p.release_stage, arch: (p.arch == "unknown" ? nil : p.arch),
        friendly_name: p.friendly_name, product_class: p.product_class, cpe: p.cpe, free: true,
        description: p.description, eula_url: eula_url, repositories: repositories, product_type: p.product_type.to_s,
        extensions: extensions, recommended: p.recommended_for?(@root_product), available: p.mirror? }
    end

    private

    def repositories
      @product.repositories.map { |repository| RepositorySerializer.new(repository, base_url: @base_url).as_json }
    end

    def extensions
      @product.extensions.for_root_product(@root_product).map do |extension|
        ProductSerializer.new(extension, base_url: @base_url, root_product: @root_product).as_json
      end
    end

    # RMT::Misc.replace_uri_parts with the mirror prefix
    def eula_url
      return "" if @product.eula_url.blank?

      uri = URI(@product.eula_url)
      replacement = URI(@base_url + "/repo/")
      uri.scheme = replacement.scheme
      uri.host = replacement.host
      uri.port = replacement.port
      uri.path = File.join(replacement.path, uri.path)
      uri.to_s
    end
  end
end
