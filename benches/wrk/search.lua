-- wrk -s benches/wrk/search.lua: GET /v1/search over the seed corpus.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
local i = 0
request = function() i = i + 1; return c.search(i) end
done = c.done
