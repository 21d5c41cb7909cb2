# frozen_string_literal: true

module ActionController
  # RMT's error with a (here untranslated) message, rendered as its error JSON.
  class TranslatedError < RuntimeError
    attr_accessor :message, :localized_message, :status

    def initialize(error = "Error occurred", *params)
      super()
      @message = error % params
      @localized_message = @message
      @status = :unprocessable_entity
    end
  end
end
