# frozen_string_literal: true

require "net/http"

# Many clients at once against a server, as fresh instances would come: each
# request on its own connection, never retried, answers or errors recorded.
module HttpHerd
  Result = Struct.new(:status, :body, :headers, :error, keyword_init: true) do
    def json
      JSON.parse(body)
    end

    def worker
      headers["x-worker-pid"]&.first
    end
  end

  module_function

  # requests: [method, path, body, headers] each; returns their Results in order.
  def run(port, requests, concurrency:, timeout: 60)
    queue = Queue.new
    requests.each_with_index { |request, index| queue << [index, request] }
    queue.close
    results = Array.new(requests.size)
    Array.new(concurrency) do
      Thread.new do
        while (job = queue.pop)
          index, request = job
          results[index] = call(port, *request, timeout: timeout)
        end
      end
    end.each(&:join)
    results
  end

  def call(port, method, path, body = nil, headers = {}, timeout: 60)
    http = Net::HTTP.new("127.0.0.1", port)
    http.open_timeout = http.read_timeout = timeout
    http.max_retries = 0
    request = Net::HTTP.const_get(method.to_s.capitalize).new(path, headers)
    request.body = body if body
    response = http.start { |connection| connection.request(request) }
    Result.new(status: response.code.to_i, body: response.body, headers: response.to_hash)
  rescue StandardError, Timeout::Error => e
    Result.new(error: e.class.name, headers: {})
  end
end
