-- wrk -s benches/wrk/healthz.lua: GET /healthz, the ceiling of the HTTP stack.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
request = function() return wrk.format("GET", "/healthz") end
done = c.done
