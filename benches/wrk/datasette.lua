-- wrk -s benches/wrk/datasette.lua: Datasette's FTS5 search with the same plain-word queries.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
local i = 0
request = function() i = i + 1; return c.datasette(i) end
done = c.done
