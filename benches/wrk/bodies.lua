-- wrk -s benches/wrk/bodies.lua: POSTs the JSON bodies of the file BODIES
-- (one per line), in turn, to BODIES_PATH (e.g. /v1/ask).
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local c = require("common")
local list, path, i = nil, os.getenv("BODIES_PATH"), 0
request = function()
  if list == nil then list = c.bodies() end
  i = i + 1
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, list[i % #list + 1])
end
done = c.done
