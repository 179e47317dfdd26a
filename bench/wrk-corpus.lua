-- wrk script for bench/run.sh: each request carries one sentence of the corpus
-- (a file of ready JSON bodies, one per line, passed after "--"), cycling from a
-- different start in each thread; prints its summary on one EINO_RESULT line.
local bodies = {}
local next_body = 1

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  next_body = math.random(#bodies)
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, bodies[next_body])
end

function done(summary, latency, requests)
  io.write(string.format(
    "EINO_RESULT requests=%d duration_us=%d errors_status=%d errors_connect=%d errors_timeout=%d " ..
    "errors_read=%d errors_write=%d p50_us=%d p95_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.timeout, summary.errors.read, summary.errors.write,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
