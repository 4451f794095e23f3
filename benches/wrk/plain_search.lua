-- wrk -s benches/wrk/plain_search.lua: GET /v1/search with the same plain-word queries.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
local i = 0
request = function() i = i + 1; return c.plain_search(i) end
done = c.done
