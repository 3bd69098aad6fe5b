-- Refresh with rotation: every refresh token is single-use, so each request spends one token from a
-- per-thread pool and each 200 response puts the rotated token back.
--
-- Arguments: CONFIG_PATH NTHREADS. Config keys: path=, authorization= (client_secret_basic header),
-- pool= (file with one refresh token per line; thread k takes lines k, k+n, ... so no two threads
-- share a token), extra_body= (optional, appended to the form, e.g. "&scope=...").
-- Counters: pool_empty (a request had no unused token: the pool was too small or tokens were lost to
-- errors; it sends an invalid token so the failure shows as a 4xx), no_rotation (a 200 without a new
-- refresh_token: the server does not rotate), rotated (tokens put back).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local bench = require("bench")

bench.install()

local pool = nil
local path = "/token"
local extra_body = ""
local headers = {}

function init(args)
   local config = bench.read_config(args[1])
   local nthreads = tonumber(args[2]) or 1
   pool = bench.queue(bench.read_share(config.pool, nthreads, thread_id or 0))
   counters.pool_start = pool.size()
   path = config.path or path
   extra_body = config.extra_body or ""
   bench.form_post_headers(headers, config)
end

function request()
   local token = pool.pop()
   if token == nil then
      bench.bump("pool_empty")
      token = "pool-empty"
   end
   local body = "grant_type=refresh_token&refresh_token=" .. token .. extra_body
   return wrk.format("POST", path, headers, body)
end

function response(status, _headers, body)
   bench.count_status(status)
   if status ~= 200 then
      return
   end
   local token = body and body:match('"refresh_token"%s*:%s*"([^"]+)"')
   if token then
      pool.push(token)
      bench.bump("rotated")
   else
      bench.bump("no_rotation")
   end
end
