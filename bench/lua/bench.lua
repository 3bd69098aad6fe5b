-- Shared helpers for the bench/run wrk scripts.
--
-- Why a module: every workload must count each response status in response() and report the counts
-- from done(), or a server answering 500 (or 401, or {"active": false}) fast would look like a fast
-- server. Each wrk thread has its own Lua state, so the counts live in per-thread globals
-- (`statuses`, `counters`) that done() collects through thread:get() in the main state.
--
-- The report is one line, "@@bench-report <json>", that bench/harness/wrk_report.py parses.

local M = {}

local threads = {}

-- Per-thread state; setup() gives each thread its `thread_id` (0-based) before init() runs.
statuses = {}
counters = {}

--- Count one response status; call it first thing in response().
function M.count_status(status)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

--- Add `n` (default 1) to a named per-thread counter.
function M.bump(name, n)
   counters[name] = (counters[name] or 0) + (n or 1)
end

--- Read "key=value" lines (split at the first '='); the driver writes this file for each cell.
function M.read_config(path)
   local file = assert(io.open(path, "r"), "cannot open config " .. tostring(path))
   local config = {}
   for line in file:lines() do
      local key, value = line:match("^([%w_]+)=(.*)$")
      if key then
         config[key] = value
      end
   end
   file:close()
   return config
end

--- The lines of `path` that belong to this thread: line i goes to thread (i - 1) % nthreads.
-- So no two wrk threads ever share a single-use token.
function M.read_share(path, nthreads, id)
   local file = assert(io.open(path, "r"), "cannot open pool " .. tostring(path))
   local mine = {}
   local index = 0
   for line in file:lines() do
      if line ~= "" then
         if index % nthreads == id then
            mine[#mine + 1] = line
         end
         index = index + 1
      end
   end
   file:close()
   return mine
end

--- Case-insensitive header lookup (servers differ: "Location" vs "location").
-- The headers of a form POST to a token endpoint, authenticated as the config says.
function M.form_post_headers(headers, config)
   headers["Content-Type"] = "application/x-www-form-urlencoded"
   headers["Accept"] = "application/json"
   headers["Authorization"] = config.authorization
   return headers
end

function M.header(headers, name)
   local wanted = name:lower()
   for key, value in pairs(headers) do
      if key:lower() == wanted then
         return value
      end
   end
   return nil
end

--- A FIFO queue with O(1) push and pop.
function M.queue(items)
   local q = { first = 1, last = 0, items = {} }
   function q.push(value)
      q.last = q.last + 1
      q.items[q.last] = value
   end
   function q.pop()
      if q.first > q.last then
         return nil
      end
      local value = q.items[q.first]
      q.items[q.first] = nil
      q.first = q.first + 1
      return value
   end
   function q.size()
      return q.last - q.first + 1
   end
   for _, value in ipairs(items or {}) do
      q.push(value)
   end
   return q
end

--- A JSON string: quote, backslash and control characters become \u escapes.
local function quote(text)
   return '"' .. tostring(text):gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

local function encode(value)
   local kind = type(value)
   if kind == "table" then
      local parts = {}
      for key, item in pairs(value) do
         parts[#parts + 1] = quote(key) .. ":" .. encode(item)
      end
      table.sort(parts)
      return "{" .. table.concat(parts, ",") .. "}"
   elseif kind == "number" then
      if value ~= value or value == math.huge or value == -math.huge then
         return "null"
      end
      return string.format("%.17g", value)
   elseif kind == "boolean" then
      return tostring(value)
   elseif kind == "nil" then
      return "null"
   end
   return quote(value)
end
M.encode = encode

local function merge(into, from)
   for key, value in pairs(from or {}) do
      into[key] = (into[key] or 0) + value
   end
end

--- Install the global setup() and done() every workload script shares.
function M.install()
   local next_id = 0
   function setup(thread)
      thread:set("thread_id", next_id)
      next_id = next_id + 1
      threads[#threads + 1] = thread
   end

   function done(summary, latency, _requests)
      local all_statuses, all_counters = {}, {}
      for _, thread in ipairs(threads) do
         merge(all_statuses, thread:get("statuses"))
         merge(all_counters, thread:get("counters"))
      end
      local report = {
         requests = summary.requests,
         duration_us = summary.duration,
         bytes = summary.bytes,
         errors = summary.errors,
         latency_us = {
            min = latency.min,
            mean = latency.mean,
            max = latency.max,
            p50 = latency:percentile(50.0),
            p90 = latency:percentile(90.0),
            p99 = latency:percentile(99.0),
         },
         statuses = all_statuses,
         counters = all_counters,
         threads = #threads,
      }
      io.write("@@bench-report " .. encode(report) .. "\n")
   end
end

return M
