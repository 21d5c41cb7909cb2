# frozen_string_literal: true

# RMT's production defaults: 2 workers x 5 threads, ActiveRecord pool 5; no
# preload_app! (RMT does not preload), unless PUMA_PRELOAD=1.
workers Integer(ENV.fetch("PUMA_WORKERS", 2))
threads 5, 5
bind "tcp://127.0.0.1:#{ENV.fetch('PORT')}"
environment ENV.fetch("RAILS_ENV", "production")
pidfile ENV["PIDFILE"] if ENV["PIDFILE"]
preload_app! if ENV["PUMA_PRELOAD"] == "1"
