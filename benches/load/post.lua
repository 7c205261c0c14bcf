-- wrk script: POST one GraphQL request body (a JSON file) on every request,
-- and print one machine-readable line at the end.
--
--   wrk -t2 -c8 -d15s --timeout 60s -s post.lua http://127.0.0.1:PORT/graphql -- BODY.json
--
-- The body file is made by compare.sh from a document of queries/ and its
-- variables. Non-2xx answers are counted by wrk as status errors.

function init(args)
  local path = args[1]
  if path == nil then
    error("usage: wrk ... -s post.lua URL -- BODY.json")
  end
  local f = assert(io.open(path, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.2f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
