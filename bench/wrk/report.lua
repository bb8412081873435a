-- wrk script for the fixed-request scenarios: the request comes from the command line
-- (-H headers, URL); done() prints one machine-readable line for bench/run.sh.
-- No request()/response() functions, so wrk keeps its fast path.

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRKRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d non2xx=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.timeout, e.status))
end
