-- wrk script: requests the paths listed (one per line) in the file named by the PATHS
-- environment variable, round robin, and prints the latency percentiles the explorer's target
-- is stated in (p50, p95, p99) plus the error count.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local i = 0

function setup(thread)
  thread:set("offset", i)
  i = i + 7919
end

function request()
  offset = (offset or 0) + 1
  return wrk.format("GET", paths[(offset % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "requests %d, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms, non-2xx %d, errors %d\n",
    summary.requests, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
