# frozen_string_literal: true

require_relative "rmt_server"
require_relative "catalog"

# A database of the group's own for the RMT servers its examples run
# (RmtServer.run(database: name, ...)): RMT's schema and the test catalog
# once, every table emptied before each example; `rmt_db` a client on it.
RSpec.shared_context "an RMT database" do |name|
  let(:rmt_db) { DatabaseHelpers.client(database: name) }

  before(:all) do
    RmtServer.create_database(name)
    seeding = DatabaseHelpers.client(database: name)
    Catalog.seed(seeding)
  ensure
    seeding&.close
  end

  before { DatabaseHelpers.clean_tables(rmt_db) }

  after { rmt_db.close }
end
