-- wrk -s benches/wrk/queries.lua: GET /v1/search (ten hits, highlights and
-- exact totals) for each line of the file QUERIES (URL-encoded), in turn.
-- QUERY_PATH replaces the path before the query (default
-- `/v1/search?limit=10&q=`), so other servers take the same lines.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
local list, i = nil, 0
request = function()
  if list == nil then
    list = {}
    for line in io.lines(os.getenv("QUERIES")) do list[#list + 1] = line end
  end
  i = i + 1
  return wrk.format("GET", (os.getenv("QUERY_PATH") or "/v1/search?limit=10&q=") .. list[i % #list + 1])
end
done = c.done
