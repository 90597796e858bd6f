-- wrk script for the checks benchmark: cycles through the pre-generated requests in the file
-- named by BENCH_REQUESTS (one per line: "<api key>\t<JSON body>") and prints a JSON summary.

local thread_count = 0

function setup(thread)
  -- Start each thread at a different place in the pool, so threads do not send the same sequence.
  thread:set("offset", thread_count * 7919)
  thread_count = thread_count + 1
end

local pool = {}
local i = 0

function init(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local key, body = line:match("^([^\t]+)\t(.+)$")
    if key then
      pool[#pool + 1] = wrk.format("POST", "/v1/checks",
        { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }, body)
    end
  end
  i = (offset or 0) % #pool
end

function request()
  i = i % #pool + 1
  return pool[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
