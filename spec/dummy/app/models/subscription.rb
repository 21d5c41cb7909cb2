# frozen_string_literal: true

class Subscription < ApplicationRecord
  enum kind: { is_test: "test", full: "full", evaluation: "evaluation", oem: "oem", internal: "internal",
               partner: "partner" }
  enum status: { expired: "EXPIRED", active: "ACTIVE", notactivated: "NOTACTIVATED" }

  has_many :product_classes, class_name: "SubscriptionProductClass"
  has_many :products, through: :product_classes

  def expired?
    expires_at? && expires_at < Time.zone.now.beginning_of_day
  end
end
