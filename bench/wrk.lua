-- The request mix of one benchmark page, driven by bench/run.py through environment variables:
--   BENCH_SPEC  a file of lines "key<TAB>value":
--                 method   GET or POST
--                 header   "Name: value" (repeatable; the session and CSRF cookies)
--                 path     a request path (repeatable; the requests rotate over them)
--                 body     a form body; "{n}" becomes a number unique to the request
--                 expect   the status prefix that counts as success ("2" or "3")
--   BENCH_OUT   where to write the JSON summary
-- Each connection (wrk thread state) starts at a different path so two connections do not
-- read the same rows in lock-step.

local started = 0
local all_threads = {}

function setup(thread)
  started = started + 1
  thread:set("thread_no", started)
  table.insert(all_threads, thread)
end

local function split_tab(line)
  local tab = string.find(line, "\t", 1, true)
  if not tab then return nil, nil end
  return string.sub(line, 1, tab - 1), string.sub(line, tab + 1)
end

function init(args)
  method = "GET"
  paths = {}
  headers = {}
  body = nil
  expect = "2"
  for line in io.lines(os.getenv("BENCH_SPEC")) do
    local key, value = split_tab(line)
    if key == "method" then method = value
    elseif key == "path" then table.insert(paths, value)
    elseif key == "body" then body = value
    elseif key == "expect" then expect = value
    elseif key == "header" then
      local name, content = string.match(value, "^([^:]+):%s*(.*)$")
      headers[name] = content
    end
  end
  if body then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  position = (thread_no * 37) % #paths
  sent = 0
  good = 0
  bad = 0
  first_bad = 0
end

function request()
  position = position % #paths + 1
  sent = sent + 1
  local payload = nil
  if body then
    payload = string.gsub(body, "{n}", string.format("%d%06d", thread_no, sent))
  end
  return wrk.format(method, paths[position], headers, payload)
end

function response(status, response_headers, response_body)
  if string.sub(tostring(status), 1, 1) == expect then
    good = good + 1
  else
    bad = bad + 1
    if first_bad == 0 then first_bad = status end
  end
end

function done(summary, latency, requests)
  local good_total, bad_total, first = 0, 0, 0
  for _, thread in ipairs(all_threads) do
    good_total = good_total + thread:get("good")
    bad_total = bad_total + thread:get("bad")
    if first == 0 then first = thread:get("first_bad") end
  end
  local seconds = summary.duration / 1000000
  local errors = summary.errors
  local json = string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.3f, "good": %d, "bad": %d, "first_bad_status": %d, '
      .. '"socket_errors": %d, "ms": {"mean": %.2f, "p50": %.2f, "p95": %.2f, "p99": %.2f, "max": %.2f}}',
    summary.requests, seconds, summary.requests / seconds, good_total, bad_total, first,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000)
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  out:write(json .. "\n")
  out:close()
end
