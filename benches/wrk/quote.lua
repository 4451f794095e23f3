-- wrk -s benches/wrk/quote.lua: POST /v1/quotes/check over the seed corpus.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
local i = 0
request = function() i = i + 1; return c.quote(i) end
done = c.done
