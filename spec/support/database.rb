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

  def start_and_load_schema
    system(File.join(ROOT, "script/mariadb"), "start", exception: true) unless ENV["RMT_RS_DB_SOCKET"]
    admin = client(database: nil)
    admin.query("DROP DATABASE IF EXISTS #{DATABASE}")
    admin.query("CREATE DATABASE #{DATABASE}")
    admin.close
    loader = client(flags: Mysql2::Client::MULTI_STATEMENTS)
    loader.query(File.read(File.join(ROOT, "db/schema.sql")))
    loader.store_result while loader.next_result
    loader.close
  end

  def settings
    { "socket" => SOCKET, "username" => "root", "database" => DATABASE, "pool" => 5, "timeout" => 2000 }
  end

  def client(database: DATABASE, flags: 0)
    Mysql2::Client.new(socket: SOCKET, username: "root", database: database, flags: flags, encoding: "utf8mb4")
  end

  def db
    @db ||= client
  end

  def clean_tables
    db.query("SET FOREIGN_KEY_CHECKS = 0")
    TABLES.each { |table| db.query("DELETE FROM #{table}") }
    db.query("SET FOREIGN_KEY_CHECKS = 1")
  end

  def count(table)
    db.query("SELECT COUNT(*) AS n FROM #{table}").first["n"]
  end

  def system_row(id)
    db.query("SELECT * FROM systems WHERE id = #{Integer(id)}").first
  end
end
