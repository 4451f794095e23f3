-- wrk -s benches/wrk/ask.lua: POST /v1/ask over the seed corpus.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
local i = 0
request = function() i = i + 1; return c.ask(i) end
done = c.done
