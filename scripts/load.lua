-- wrk script for scripts/load: every response's status is checked against the
-- one its request must get.
--
-- Arguments (after `--`): REQUESTS_FILE QUOTA THREADS [DONE_DIR]
--   REQUESTS_FILE: one request a line, `STATUS KIND PATH TOKEN` (TOKEN `-`: no
--   Authorization header); thread i takes the lines i, i+THREADS, ...
--   QUOTA: responses after which a thread stops (0: run for wrk's -d).
--   DONE_DIR: where a thread that met its quota leaves a file `done-ID`; wrk
--   itself waits out -d, so scripts/load interrupts it when all are there.
-- Run with one connection per thread (-t N -c N): a thread then has one
-- request in flight, so each response belongs to the request sent before it.

local threads = {}

-- LOAD_PAUSE_MS: a pause before each request (a paced run); wrk looks for
-- delay() once, at load, so it is defined only when asked for.
local pause = tonumber(os.getenv("LOAD_PAUSE_MS") or "0") or 0
if pause > 0 then
  function delay()
    return pause
  end
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[3])
  quota, done_dir = tonumber(args[2]), args[4]
  requests, wants, kinds = {}, {}, {}
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == id then
      local want, kind, path, token = line:match("^(%d+) (%S+) (%S+) (%S+)$")
      local headers = {}
      if token ~= "-" then
        headers["Authorization"] = "Bearer " .. token
      end
      table.insert(requests, wrk.format("GET", path, headers))
      table.insert(wants, tonumber(want))
      table.insert(kinds, kind)
    end
    i = i + 1
  end
  next_index, sent = 0, 0
  checked, wrong, server_errors = 0, 0, 0
  statuses, wrong_kinds, answered_kinds = {}, {}, {}
end

function request()
  next_index = next_index % #requests + 1
  sent = next_index
  return requests[next_index]
end

function response(status, headers, body)
  checked = checked + 1
  statuses[status] = (statuses[status] or 0) + 1
  answered_kinds[kinds[sent]] = (answered_kinds[kinds[sent]] or 0) + 1
  if status >= 500 then
    server_errors = server_errors + 1
  end
  if status ~= wants[sent] then
    wrong = wrong + 1
    local key = kinds[sent] .. ":" .. wants[sent] .. "->" .. status
    wrong_kinds[key] = (wrong_kinds[key] or 0) + 1
  end
  if quota > 0 and checked == quota then
    if done_dir then
      io.open(done_dir .. "/done-" .. id, "w"):close()
    end
    wrk.thread:stop()
  end
end

local function add(into, from)
  for k, v in pairs(from or {}) do
    into[k] = (into[k] or 0) + v
  end
end

local function json_counts(t)
  local parts = {}
  for k, v in pairs(t) do
    table.insert(parts, string.format("%q:%d", tostring(k), v))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local total = { checked = 0, wrong = 0, server_errors = 0 }
  local all_statuses, all_wrong, all_answered = {}, {}, {}
  for _, thread in ipairs(threads) do
    total.checked = total.checked + (thread:get("checked") or 0)
    total.wrong = total.wrong + (thread:get("wrong") or 0)
    total.server_errors = total.server_errors + (thread:get("server_errors") or 0)
    add(all_statuses, thread:get("statuses"))
    add(all_wrong, thread:get("wrong_kinds"))
    add(all_answered, thread:get("answered_kinds"))
  end
  local e = summary.errors
  io.write(string.format(
    'LOAD-RESULT {"requests":%d,"duration_us":%d,"checked":%d,"wrong":%d,"server_errors":%d,'
      .. '"socket_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,'
      .. '"statuses":%s,"wrong_kinds":%s,"answered_kinds":%s}\n',
    summary.requests, summary.duration, total.checked, total.wrong, total.server_errors,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max,
    json_counts(all_statuses), json_counts(all_wrong), json_counts(all_answered)))
end
