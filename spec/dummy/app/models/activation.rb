# frozen_string_literal: true

# RMT's Activation: any change resets the system's SCC sync time.
class Activation < ApplicationRecord
  belongs_to :system
  belongs_to :service
  belongs_to :subscription, optional: true
  has_one :product, through: :service

  validates :system, presence: true
  validates :service, presence: true

  after_create :reset_scc_sync
  after_update :reset_scc_sync
  after_destroy :reset_scc_sync

  private

  def reset_scc_sync
    system.scc_registered_at = nil
    system.save!
  end
end
