-- The authorization-code + PKCE round trip of a signed-in user who has already consented:
--   GET authorize (session cookie) -> 302/303 to the redirect URI with ?code=... -> POST token -> 200.
-- Each connection asks for a code when none is waiting and redeems a waiting code otherwise; codes
-- are taken from the Location header of the authorize response (one fixed PKCE verifier/challenge).
--
-- Arguments: CONFIG_PATH. Config keys: authorize_path= (with query, incl. code_challenge), cookie=,
-- token_path=, authorization= (client_secret_basic), token_body= (form without the code; "&code=..."
-- is appended).
-- Counters: round_trips (200 token responses carrying an access_token), codes (redirects carrying a
-- code), no_code (a redirect without a code, e.g. error=login_required), bad_token_body (a 200 without
-- an access_token, e.g. the sign-in page).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local bench = require("bench")

bench.install()

local codes = bench.queue()
local authorize_request = nil
local token_path = "/token"
local token_body = ""
local token_headers = {}

function init(args)
   local config = bench.read_config(args[1])
   authorize_request = wrk.format("GET", config.authorize_path, {
      ["Cookie"] = config.cookie,
      ["Accept"] = "text/html",
   })
   token_path = config.token_path or token_path
   token_body = config.token_body or ""
   bench.form_post_headers(token_headers, config)
end

function request()
   local code = codes.pop()
   if code == nil then
      return authorize_request
   end
   return wrk.format("POST", token_path, token_headers, token_body .. "&code=" .. code)
end

function response(status, headers, body)
   bench.count_status(status)
   if status == 302 or status == 303 then
      local location = bench.header(headers, "Location") or ""
      local code = location:match("[?&]code=([^&#]+)")
      if code then
         codes.push(code)
         bench.bump("codes")
      else
         bench.bump("no_code")
      end
   elseif status == 200 then
      if body and body:find('"access_token"', 1, true) then
         bench.bump("round_trips")
      else
         bench.bump("bad_token_body")
      end
   end
end
