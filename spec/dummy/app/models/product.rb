# frozen_string_literal: true

# RMT's Product, as far as activation and the product tree use it.
class Product < ApplicationRecord
  has_one :service, dependent: :destroy
  has_many :repositories, through: :service

  has_many :product_extensions_associations, class_name: "ProductsExtensionsAssociation", foreign_key: :extension_id
  has_many :bases, through: :product_extensions_associations, source: :product
  has_many :extension_products_associations, class_name: "ProductsExtensionsAssociation"
  has_many :root_products, -> { distinct }, through: :product_extensions_associations
  has_many :extensions, -> { distinct }, through: :extension_products_associations, source: :extension do
    def for_root_product(root_product)
      where("products_extensions.root_product_id = %s", root_product.id)
    end
  end

  has_and_belongs_to_many :predecessors, class_name: "Product", join_table: :product_predecessors,
                                         association_foreign_key: :predecessor_id
  has_and_belongs_to_many :successors, class_name: "Product", join_table: :product_predecessors,
                                       association_foreign_key: :product_id, foreign_key: :predecessor_id

  enum product_type: { base: "base", module: "module", extension: "extension", saas: "SaaS" }

  # The version as sent and with RMT's clean-up ("15-SP6.0" finds "15.SP6"... as RMT does).
  def self.clean_up_version(version)
    return unless version

    [version, version.tr("-", ".").chomp(".0")].uniq
  end

  def friendly_name
    [name, friendly_version, release_type, (arch if arch != "unknown")].compact.join(" ")
  end

  def recommended_for?(root_product)
    product_extensions_associations.where(recommended: true).where(root_product: root_product).present?
  end

  def mirror?
    enabled = repositories.select(&:enabled).to_a
    disabled = repositories.reject(&:enabled).to_a
    return enabled.reject(&:mirroring_enabled).empty? unless enabled.empty?
    return disabled.reject(&:mirroring_enabled).empty? unless disabled.empty?

    false
  end
end
