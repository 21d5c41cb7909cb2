# frozen_string_literal: true

# RMT's System, as far as announce, authentication and activation use it.
class System < ApplicationRecord
  enum proxy_byos_mode: { not_applicable: 0, payg: 1, byos: 2, hybrid: 3 }

  has_many :activations, dependent: :delete_all
  has_many :services, through: :activations
  has_many :products, -> { distinct }, through: :services

  has_many :system_profiles, dependent: :destroy
  has_many :profiles, -> { distinct }, through: :system_profiles

  validates :system_token, uniqueness: { scope: %i[login password], case_sensitive: false }

  after_initialize do
    self.login ||= System.generate_secure_login
    self.password ||= SecureRandom.uuid.delete("-")[0..15]
    self.registered_at ||= Time.zone.now
  end

  # Draws logins until one is not in use (RMT's check-then-insert).
  def self.generate_secure_login
    login = nil
    login = "SCC_#{SecureRandom.uuid.delete('-')}" while login.nil? || System.find_by(login: login)
    login
  end

  before_update { self.scc_registered_at = nil }

  def self.get_by_credentials(login, password)
    where(login: login, password: password).order(:id)
  end

  def system_information_hash
    JSON.parse(system_information || "{}").symbolize_keys
  end

  def set_system_information(key, value)
    update(system_information: system_information_hash.update(key => value).to_json)
  end

  # Virtual attribute the controller passes to create!: finds or creates the
  # profiles (outside the system's transaction, as in RMT) and links them.
  def complete_profiles=(profiles_hash)
    self.profiles = Profile.ensure_complete_profiles_exist(profiles_hash)
  end
end
