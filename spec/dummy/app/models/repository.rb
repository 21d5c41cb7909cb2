# frozen_string_literal: true

class Repository < ApplicationRecord
  has_many :repositories_services_associations
  has_many :services, through: :repositories_services_associations

  scope :only_fully_mirrored, -> { where(mirroring_enabled: true).where.not(last_mirrored_at: nil) }
  scope :only_enabled, -> { where(enabled: true) }
end
