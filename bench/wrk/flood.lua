-- wrk script for the token floods: every request carries the next token of a file of
-- distinct pre-minted tokens (one per line; the file is the script's argument), so that no
-- token is ever seen twice by the server (no cache hit). The run stops when the file is
-- used up (or at wrk's -d bound, whichever comes first); it cycles back to the start only
-- for the few requests sent while the stop takes effect.
--   wrk -s flood.lua URL -- tokens.txt

local tokens = {}
local next_index = 1
local sent = 0

function init(args)
   local file = assert(io.open(args[1], "r"))
   for line in file:lines() do
      if #line > 0 then tokens[#tokens + 1] = line end
   end
   file:close()
   assert(#tokens > 0, "no tokens in " .. args[1])
end

function request()
   local token = tokens[next_index]
   next_index = next_index + 1
   if next_index > #tokens then next_index = 1 end
   sent = sent + 1
   if sent == #tokens then wrk.thread:stop() end
   wrk.headers["Authorization"] = "Bearer " .. token
   return wrk.format()
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRKRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d non2xx=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.timeout, e.status))
end
