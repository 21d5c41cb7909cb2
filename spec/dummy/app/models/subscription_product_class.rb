# frozen_string_literal: true

class SubscriptionProductClass < ApplicationRecord
  belongs_to :subscription
  has_many :products, primary_key: "product_class", foreign_key: "product_class", class_name: "Product"
end
