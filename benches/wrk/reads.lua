-- wrk -s benches/wrk/reads.lua: the soak's reads. Per 19 requests: 8
-- searches, 6 questions and 5 quote checks (the writes run beside it, from
-- benches/write_latency.py, so their latency is reported on its own).
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
local i = 0
request = function()
  i = i + 1
  local k = i % 19
  if k < 8 then return c.search(i)
  elseif k < 14 then return c.ask(i)
  else return c.quote(i) end
end
done = c.done
