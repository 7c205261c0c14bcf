-- wrk script: POST a mix of GraphQL request bodies (JSON files), one after
-- the other in turn, and print one machine-readable line at the end. Unlike
-- post.lua it reads every answer, so it also counts GraphQL errors sent with
-- status 200 (wrk itself counts only non-2xx answers).
--
--   wrk -t1 -c8 -d10s -s mix.lua http://127.0.0.1:PORT/graphql -- A.json B.json C.json

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  if #args == 0 then
    error("usage: wrk ... -s mix.lua URL -- BODY.json [BODY.json ...]")
  end
  bodies = {}
  for i, path in ipairs(args) do
    local f = assert(io.open(path, "rb"))
    bodies[i] = f:read("*a")
    f:close()
  end
  sent = 0
  graphql_errors = 0
  headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
end

function request()
  sent = sent + 1
  return wrk.format("POST", nil, headers, bodies[(sent % #bodies) + 1])
end

function response(status, _, body)
  if status == 200 and body:find('"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, _)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local ge = 0
  for _, thread in ipairs(threads) do
    ge = ge + thread:get("graphql_errors")
  end
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.2f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d errors_graphql=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout, ge))
end
