-- ingest.lua - wrk script for tests/bench/ingest.sh: POSTs pre-signed payloads (from
-- ingest_gen.py, directory in $INGEST_DIR) in rotation, each request with a unique
-- X-GitHub-Delivery ($INGEST_RUN-<thread>-<n>), and counts answers by status so the
-- script can compare the 202s with XLEN fb:events.

local threads = {}
local next_tid = 0

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   table.insert(threads, thread)
end

local events, sigs, bodies = {}, {}, {}
local n, counter = 0, 0
local run = os.getenv("INGEST_RUN") or "run"
accepted, duplicates, other = 0, 0, 0

function init(args)
   local dir = os.getenv("INGEST_DIR")
   for line in io.lines(dir .. "/manifest.tsv") do
      local ev, sig, file = line:match("^(%S+)\t(%S+)\t(%S+)$")
      local f = assert(io.open(dir .. "/" .. file, "rb"))
      n = n + 1
      events[n], sigs[n], bodies[n] = ev, sig, f:read("*a")
      f:close()
   end
   counter = tid * 7919 -- threads start at different payloads
end

function request()
   counter = counter + 1
   local i = (counter % n) + 1
   local headers = {
      ["Content-Type"] = "application/json",
      ["User-Agent"] = "GitHub-Hookshot/bench",
      ["X-GitHub-Event"] = events[i],
      ["X-GitHub-Delivery"] = run .. "-" .. tid .. "-" .. counter,
      ["X-Hub-Signature-256"] = sigs[i],
   }
   return wrk.format("POST", "/webhook", headers, bodies[i])
end

function response(status, headers, body)
   if status == 202 then
      accepted = accepted + 1
   elseif status == 200 then
      duplicates = duplicates + 1
   else
      other = other + 1
   end
end

function done(summary, latency, requests)
   local a, d, o = 0, 0, 0
   for _, t in ipairs(threads) do
      a = a + t:get("accepted")
      d = d + t:get("duplicates")
      o = o + t:get("other")
   end
   io.write(string.format(
      "INGEST_RESULT requests=%d accepted=%d duplicates=%d other=%d socket_errors=%d "
         .. "rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
      summary.requests, a, d, o,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000))
end
