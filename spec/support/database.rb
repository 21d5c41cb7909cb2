# frozen_string_literal: true

require "mysql2"

# The private MariaDB (script/mariadb) with a database holding RMT's schema, and
# helpers to look at the rows RmtRs leaves. No mocks: every spec talks to it.
module DatabaseHelpers
  ROOT = File.expand_path("../..", __dir__)
  DB_DIR = ENV.fetch("RMT_RS_DB_DIR", File.join(ROOT, "tmp/mariadb"))
  SOCKET = ENV.fetch("RMT_RS_DB_SOCKET", File.join(DB_DIR, "mysqld.sock"))
  DATABASE = "rmt_rs_spec"
  TABLES = %w[system_profiles profiles activations systems].freeze

  module_function

  # Starts the private server if needed and (re)creates `database` with the
  # shipped schema. Also used by the benchmarks in benches/.
  def start_and_load_schema(database = DATABASE)
    system(File.join(ROOT, "script/mariadb"), "start", exception: true) unless ENV["RMT_RS_DB_SOCKET"]
    admin = client(database: nil)
    admin.query("DROP DATABASE IF EXISTS #{database}")
    admin.query("CREATE DATABASE #{database}")
    admin.close
    loader = client(database: database, flags: Mysql2::Client::MULTI_STATEMENTS)
    # RMT's schema, and RmtRs's catalog version as an operator installs it.
    %w[db/schema.sql db/catalog_tracking.sql].each do |file|
      loader.query(File.read(File.join(ROOT, file)))
      loader.store_result while loader.next_result
    end
    loader.close
  end

  def settings(database = DATABASE)
    { "socket" => SOCKET, "username" => "root", "database" => database, "pool" => 5, "timeout" => 2000 }
  end

  def client(database: DATABASE, flags: 0)
    Mysql2::Client.new(socket: SOCKET, username: "root", database: database, flags: flags, encoding: "utf8mb4")
  end

  def db
    @db ||= client
  end

  def clean_tables(connection = db)
    connection.query("SET FOREIGN_KEY_CHECKS = 0")
    TABLES.each { |table| connection.query("DELETE FROM #{table}") }
    connection.query("SET FOREIGN_KEY_CHECKS = 1")
  end

  def count(table)
    db.query("SELECT COUNT(*) AS n FROM #{table}").first["n"]
  end

  def system_row(id)
    db.query("SELECT * FROM systems WHERE id = #{Integer(id)}").first
  end
end
