# frozen_string_literal: true

# Tags every response with the Puma worker that served it, so the cluster specs
# can tell which worker answered while others waited. Dummy app only.
class WorkerPidHeader
  def initialize(app)
    @app = app
  end

  def call(env)
    status, headers, body = @app.call(env)
    headers["X-Worker-Pid"] = Process.pid.to_s
    [status, headers, body]
  end
end
