-- wrk script for the token floods: every request carries the next token of a file of
-- distinct pre-minted tokens (one per line; the file is the script's argument), so that the
-- server never sees a token twice (no cache hit). The thread stops when the file is used up
-- (or at wrk's -d bound, whichever comes first).
--   wrk -t1 -s flood.lua URL -- tokens.txt
--
-- Every request is built in init() (about 1.2 KB each, 120 MB for 100 000 tokens), so that
-- request() only hands out a string: building it there (wrk.format, or a concatenation that
-- LuaJIT then hashes) made wrk the busier side of the pair, and the server then waited for
-- requests one at a time instead of answering them in batches.
--
-- wrk's own summary divides by the whole -d duration even when a thread stops early, so the
-- thread notes its own start and stop times (wall clock, through `date`, once each) and done()
-- reports the elapsed time of the thread instead.

local requests = {}
local next_index = 1
local sent = 0
started_ns = 0
stopped_ns = 0

local function now_ns()
   local pipe = io.popen("date +%s%N")
   local value = tonumber(pipe:read("*l"))
   pipe:close()
   return value
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   -- wrk.format() with a marker for the token gives the exact bytes around it.
   local marker = "\1TOKEN\1"
   wrk.headers["Authorization"] = "Bearer " .. marker
   local template = wrk.format()
   local at = assert(string.find(template, marker, 1, true))
   local before, after = string.sub(template, 1, at - 1), string.sub(template, at + #marker)
   local file = assert(io.open(args[1], "r"))
   for line in file:lines() do
      if #line > 0 then requests[#requests + 1] = before .. line .. after end
   end
   file:close()
   assert(#requests > 0, "no tokens in " .. args[1])
   started_ns = now_ns()
end

function request()
   local request = requests[next_index]
   next_index = next_index + 1
   if next_index > #requests then next_index = 1 end
   sent = sent + 1
   if sent == #requests then
      stopped_ns = now_ns()
      wrk.thread:stop()
   end
   return request
end

function done(summary, latency, requests)
   local duration = summary.duration
   local thread = threads[1]
   if thread ~= nil then
      local started, stopped = thread:get("started_ns"), thread:get("stopped_ns")
      if started ~= nil and stopped ~= nil and stopped > started then
         duration = math.floor((stopped - started) / 1000)
      end
   end
   local e = summary.errors
   io.write(string.format(
      "WRKRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d non2xx=%d\n",
      summary.requests, duration, latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.timeout, e.status))
end
