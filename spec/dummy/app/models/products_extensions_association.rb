# frozen_string_literal: true

class ProductsExtensionsAssociation < ApplicationRecord
  self.table_name = "products_extensions"
  belongs_to :product, class_name: "Product"
  belongs_to :root_product, class_name: "Product"
  belongs_to :extension, class_name: "Product"
end
