# frozen_string_literal: true

require_relative "parity_helper"

# RMT's database settings as operators have them: `host: localhost` and no
# socket key (RMT's settings have none). The Railtie asks the server RMT's own
# connection reached which socket it listens on.
RSpec.describe "RmtRs configured from RMT's settings", :parity do
  let(:settings) { ActiveRecord::Base.connection_db_config.configuration_hash }

  after { RmtRs::Railtie.configure_from(settings) }

  it "finds the socket the server reports when the settings name none, and registers through it" do
    expect(settings[:socket]).to be_present # this harness's private MariaDB, from DATABASE_URL
    without_socket = settings.except(:socket).merge(host: "localhost")
    expect(RmtRs::Configuration.find_socket(RmtRs::Railtie.server_socket)).to eq(settings[:socket])
    RmtRs::Railtie.configure_from(without_socket)
    expect(RmtRs::Registration.announce_system(hostname: "found").status).to eq(201)
  end

  it "ignores a reported socket that is not one on this machine" do
    expect(RmtRs::Configuration.find_socket("/nonexistent/mysql.sock")).to be_nil
    expect(RmtRs::Configuration.find_socket(__FILE__)).to be_nil
  end

  it "refuses an encoding RMT does not use, at configure time" do
    expect { RmtRs::Railtie.configure_from(settings.merge(encoding: "latin1")) }
      .to raise_error(ArgumentError, /encoding "latin1" is not supported/)
  end
end
