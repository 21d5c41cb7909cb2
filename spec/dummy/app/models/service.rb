# frozen_string_literal: true

class Service < ApplicationRecord
  belongs_to :product
  has_many :activations, dependent: :destroy
  has_many :repositories_services_associations
  has_many :repositories, through: :repositories_services_associations

  def name
    [product.name, product.release_type, (product.arch if product.arch != "unknown")].compact.join(" ").tr(" ", "_")
  end
end
