# frozen_string_literal: true

# RMT's Profile: partitioning and race-safe find-or-create.
class Profile < ApplicationRecord
  has_many :system_profiles # rubocop:disable Rails/HasManyOrHasOneDependent
  has_many :systems, through: :system_profiles

  validates :profile_type, presence: true
  validates :identifier, presence: true
  validates :data, presence: true

  # [complete, incomplete, invalid] hashes of profile_type => info.
  def self.filter_profiles(profiles)
    with_identifier, without = profiles.partition { |_type, info| info[:identifier].present? }
    complete, incomplete = with_identifier.partition { |_type, info| info.key?(:data) }
    [complete, incomplete, without].map { |group| group.to_h.symbolize_keys }
  end

  def self.ensure_complete_profiles_exist(profiles)
    profiles.map { |type, info| ensure_profile_exists(type, info) }
  end

  def self.ensure_profile_exists(type, info)
    query = where(profile_type: type, identifier: info[:identifier])
    query.first_or_create!(data: info[:data])
  rescue ActiveRecord::RecordNotUnique
    query.lock("LOCK IN SHARE MODE").first!
  end
end
