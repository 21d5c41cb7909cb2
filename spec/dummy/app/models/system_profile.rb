# frozen_string_literal: true

class SystemProfile < ApplicationRecord
  belongs_to :system
  belongs_to :profile
end
