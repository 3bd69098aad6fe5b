-- One fixed request per workload (client_credentials token, introspection, JWKS, discovery).
--
-- Arguments (after wrk's "--"): CONFIG_PATH. The config file (written by the driver) has
--   method=, path=, body= (optional), authorization= (optional), content_type= (optional),
--   expect_body= a Lua pattern every 200 response body must match (e.g. "active"%s*:%s*true), so a
--   server answering 200 {"active": false} is caught as well as one answering 500.
-- The request is built once (wrk's static path); response() only counts.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local bench = require("bench")

bench.install()

local expect_body = nil

function init(args)
   local config = bench.read_config(args[1])
   wrk.method = config.method or "GET"
   wrk.path = config.path or "/"
   if config.body and config.body ~= "" then
      wrk.body = config.body
      wrk.headers["Content-Type"] = config.content_type or "application/x-www-form-urlencoded"
   end
   if config.authorization and config.authorization ~= "" then
      wrk.headers["Authorization"] = config.authorization
   end
   wrk.headers["Accept"] = "application/json"
   if config.expect_body and config.expect_body ~= "" then
      expect_body = config.expect_body
   end
end

function response(status, _headers, body)
   bench.count_status(status)
   if status == 200 and expect_body then
      if body and body:find(expect_body) then
         bench.bump("body_ok")
      else
         bench.bump("body_mismatch")
      end
   end
end
