# frozen_string_literal: true

# A suite stopped by its time bound (the Rakefile's `bounded`, which sends TERM)
# names the example it was in before it goes, so a hang says where it is.
# Written to the process's own stderr (STDERR): RMT's specs swap $stderr for a
# buffer around each example.
Signal.trap("TERM") do
  example = RSpec.current_example
  where = example ? "#{example.full_description} (#{example.location})" : "no example (loading or between examples)"
  STDERR.syswrite("\nrspec stopped by TERM in: #{where}\n") # rubocop:disable Style/GlobalStdStream
  exit!(124)
end
