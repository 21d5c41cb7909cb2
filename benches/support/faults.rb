# frozen_string_literal: true

# What `script/herd faults` does to the private MariaDB in the middle of a
# herd. Each fault is a lambda for a thread beside the herd: it waits `after`
# seconds, does its damage for `hold` seconds on its own connections, puts
# everything back, and returns what it observed (for the report's notes).
module Faults
  # Faults mode's MariaDB lock wait timeout and the app's Rack::Timeout.
  LOCK_WAIT_TIMEOUT_S = 2
  RACK_TIMEOUT_S = 5

  module_function

  def mariadb(action)
    system(File.join(DatabaseHelpers::ROOT, "script/mariadb"), action, exception: true, out: File::NULL)
  end

  def client(database)
    DatabaseHelpers.client(database: database)
  end

  def status(connection, name)
    Integer(connection.query("SHOW GLOBAL STATUS LIKE '#{name}'").first["Value"])
  end

  # MariaDB stopped and started again (durable: every committed row survives).
  def restart(after:)
    lambda do
      sleep after
      mariadb("stop")
      mariadb("start")
      {}
    end
  end

  # A transaction holds the end of `systems` (a next-key lock on its
  # supremum, as a long report query or a migration would), so every new
  # registration waits for it until innodb_lock_wait_timeout.
  def lock_wait(database, after:, hold:)
    on_own_connection(database, after) do |holder|
      waits = status(holder, "Innodb_row_lock_waits")
      holder.query("BEGIN")
      last = holder.query("SELECT COALESCE(MAX(id), 0) AS id FROM systems").first["id"]
      holder.query("SELECT id FROM systems WHERE id > #{Integer(last)} FOR UPDATE")
      sleep hold
      holder.query("ROLLBACK")
      { "row lock waits" => status(holder, "Innodb_row_lock_waits") - waits }
    end
  end

  # MariaDB has no connection left for the app: its connections are cut and
  # other clients take every free slot, until they leave `hold` seconds later.
  def no_connections(database, after:, hold:)
    on_own_connection(database, after) do |admin|
      usual = Integer(admin.query("SELECT @@max_connections AS n").first["n"])
      admin.query("SET GLOBAL max_connections = 10") # MariaDB's minimum
      occupants = []
      killed = 0
      ours = [admin.query("SELECT CONNECTION_ID() AS id").first["id"]]
      ends = Time.now + hold
      while Time.now < ends
        killed += cut_others(admin, ours)
        loop do
          occupant = client(database)
          occupants << occupant
          ours << occupant.query("SELECT CONNECTION_ID() AS id").first["id"]
        rescue Mysql2::Error
          break # full
        end
        sleep 0.05
      end
      { "connections cut" => killed, "slots held by others" => occupants.size + 1 }
    ensure
      occupants&.each(&:close)
      admin.query("SET GLOBAL max_connections = #{usual}") if usual
    end
  end

  # Kills every client connection but `ours`; how many it killed.
  def cut_others(admin, ours)
    others = admin.query("SELECT id FROM information_schema.processlist WHERE command <> 'Daemon' " \
                         "AND user <> 'system user' AND id NOT IN (#{ours.join(',')})").map { |r| r["id"] }
    others.count do |id|
      admin.query("KILL CONNECTION #{Integer(id)}")
      true
    rescue Mysql2::Error
      false # gone already
    end
  end

  # Deadlocks with the registrations, again and again for `hold` seconds: a
  # heavier transaction takes the gap where new system_profiles rows go (the
  # registrations, holding their new systems row, now wait for it) and then
  # asks for those systems rows. InnoDB breaks each cycle by rolling back the
  # lighter side, the registration.
  def deadlocks(database, after:, hold:)
    on_own_connection(database, after) do |other|
      before = status(other, "Innodb_deadlocks")
      ends = Time.now + hold
      while Time.now < ends
        deadlock_round(other)
        sleep 0.2
      end
      { "deadlocks" => status(other, "Innodb_deadlocks") - before }
    end
  end

  def deadlock_round(other)
    other.query("BEGIN")
    fillers = Array.new(200) { |i| "('deadlock-filler', '#{i}', 'x', NOW(), NOW())" }.join(", ")
    other.query("INSERT INTO profiles (profile_type, identifier, data, created_at, updated_at) VALUES #{fillers}")
    last_system = Integer(other.query("SELECT COALESCE(MAX(id), 0) AS id FROM systems").first["id"])
    last_link = Integer(other.query("SELECT COALESCE(MAX(id), 0) AS id FROM system_profiles").first["id"])
    other.query("SELECT id FROM system_profiles WHERE id > #{last_link} FOR UPDATE")
    sleep 0.3 # registrations insert their system and queue behind the gap
    other.query("SELECT id FROM systems WHERE id > #{last_system} FOR UPDATE")
  rescue Mysql2::Error
    nil # this side chosen after all; the round still counts what InnoDB did
  ensure
    other.query("ROLLBACK")
  end

  # Rack::Timeout (the app runs with RACK_TIMEOUT) interrupting requests that
  # wait on a table another client has locked for `hold` seconds.
  def locked_table(database, after:, hold:)
    on_own_connection(database, after) do |locker|
      locker.query("LOCK TABLES systems WRITE")
      sleep hold
      locker.query("UNLOCK TABLES")
      {}
    end
  end

  # The fault's lambda: `after` seconds in, the block runs on a connection of
  # its own, closed whatever happens.
  def on_own_connection(database, after)
    lambda do
      sleep after
      connection = client(database)
      yield connection
    ensure
      connection&.close
    end
  end
end
