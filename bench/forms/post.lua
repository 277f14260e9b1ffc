-- wrk script of bench/run scenario 5: browser-style web form submissions
-- (application/x-www-form-urlencoded) to the form of bench/forms/form.json,
-- each from another visitor (a new email address per request).
--
--   wrk -t2 -c16 -d30s -s bench/forms/post.lua http://127.0.0.1:<port>/forms/bench -- <label>
--
-- <label> (default "run") goes into the email addresses, so several runs
-- against one database never repeat one. A good submission is answered 303
-- (to the thanks page); every other status, and every socket error or
-- timeout, is an error. done() prints one line for bench/run:
--
--   bench rate=<answers/s> p50_ms= p95_ms= p99_ms= max_ms= requests=<answered>
--     sent=<requests written> s303=<303s> non303=<other statuses>
--     sockerr=<connect+read+write+timeout> codes=<the other statuses seen>
--
-- sent - requests are the requests still in flight when wrk stopped: the
-- server may have committed them without wrk reading the answer.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local label = "run"
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
-- "Szeretnék árajánlatot kérni ablakcserére, három szobához. Mikor tudnának felmérni?"
local message = "Szeretn%C3%A9k+%C3%A1raj%C3%A1nlatot+k%C3%A9rni+ablakcser%C3%A9re%2C+"
  .. "h%C3%A1rom+szob%C3%A1hoz.+Mikor+tudn%C3%A1nak+felm%C3%A9rni%3F"

-- Per thread (each wrk thread has its own Lua state); read back in done().
sent = 0
s303 = 0
non303 = 0
codes = ""

function init(args)
  if args[1] ~= nil and args[1] ~= "" then label = args[1] end
end

function request()
  sent = sent + 1
  local body = string.format(
    "name=Bench+L%%C3%%A1togat%%C3%%B3+%d&email=bench-%s-%d-%d%%40example.com&message=%s&category=demo",
    sent, label, thread_id, sent, message)
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status == 303 then
    s303 = s303 + 1
  else
    non303 = non303 + 1
    if #codes < 200 and not string.find(" " .. codes .. " ", " " .. status .. " ", 1, true) then
      codes = codes == "" and tostring(status) or (codes .. " " .. status)
    end
  end
end

function done(summary, latency, requests)
  local total_sent, total_303, total_other, all_codes = 0, 0, 0, {}
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    total_303 = total_303 + thread:get("s303")
    total_other = total_other + thread:get("non303")
    for code in string.gmatch(thread:get("codes"), "%d+") do
      if not all_codes[code] then
        all_codes[code] = true
        table.insert(all_codes, code)
      end
    end
  end
  -- wrk builds one request on the first thread to check the script
  -- (script_verify_request) and never sends it.
  total_sent = total_sent - 1
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "bench rate=%.1f p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%d sent=%d "
      .. "s303=%d non303=%d sockerr=%d codes=%s\n",
    seconds > 0 and summary.requests / seconds or 0,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, total_sent, total_303, total_other,
    errors.connect + errors.read + errors.write + errors.timeout,
    #all_codes > 0 and table.concat(all_codes, ",") or "-"))
end
