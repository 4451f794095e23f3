-- wrk -s benches/wrk/mixed.lua: the soak mix. Per 20 requests: 8 searches,
-- 6 questions, 5 quote checks and 1 write (PUT of one of 8 soak documents,
-- with the token from VERBATIM_TOKEN).
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
local token = os.getenv("VERBATIM_TOKEN") or ""
local i = 0
request = function()
  i = i + 1
  local k = i % 20
  if k < 8 then return c.search(i)
  elseif k < 14 then return c.ask(i)
  elseif k < 19 then return c.quote(i)
  else return c.write(i, token) end
end
done = c.done
