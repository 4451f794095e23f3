-- Shared by the wrk scripts: requests against the default (seed) corpus.
local M = {}

M.queries = {
  "robots", "%22sovereign+AI%22", "Japan+robotics+chips", "labor+shortages",
  "Honda+-Sony", "10+million", "aging+population", "foreign+technology",
  "billion", "humanoid+robot", "kind:source-note+arxiv", "(japan+OR+korea)+AND+robots",
}

-- Plain words, for comparing with Datasette's FTS5 search (same queries).
M.plain = {
  "robots", "sovereign+AI", "Japan+robotics+chips", "labor+shortages",
  "Honda", "million", "aging+population", "foreign+technology",
  "billion", "humanoid+robot", "arxiv", "workforce",
}

M.questions = {
  "How many robots could Japan deploy by 2040?",
  "How much has Japan approved for sovereign AI?",
  "Why is Japan investing in robotics?",
  "Which companies are involved?",
  "What does the arXiv note say?",
  "Who publishes Nikkei Asia?",
}

M.quotes = {
  "Japan has approved about $6.3 billion for a homegrown sovereign AI model",
  "Japan has approved about $9 billion for a homegrown sovereign AI model",
  "Japan is not investing billions in homegrown AI and robotics",
  "deploy up to 10 million AI-enabled robots by 2040",
  "a shrinking workforce",
}

local function json_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

-- The query language: phrases, exclusion, filters, boolean groups.
function M.search(i)
  return wrk.format("GET", "/v1/search?limit=10&q=" .. M.queries[i % #M.queries + 1])
end

-- Plain words, ten hits.
function M.plain_search(i)
  return wrk.format("GET", "/v1/search?limit=10&q=" .. M.plain[i % #M.plain + 1])
end

-- Datasette's full-text search of the same passages, ten rows, JSON.
function M.datasette(i)
  return wrk.format("GET", "/seed/passages.json?_size=10&_search=" .. M.plain[i % #M.plain + 1])
end

-- JSON bodies, one per line, from the file BODIES names; POSTed to BODIES_PATH.
function M.bodies()
  local list = {}
  for line in io.lines(os.getenv("BODIES")) do list[#list + 1] = line end
  return list
end

function M.ask(i)
  return wrk.format("POST", "/v1/ask", {["Content-Type"] = "application/json"},
    '{"question": ' .. json_string(M.questions[i % #M.questions + 1]) .. ', "limit": 3}')
end

function M.quote(i)
  return wrk.format("POST", "/v1/quotes/check", {["Content-Type"] = "application/json"},
    '{"quote": ' .. json_string(M.quotes[i % #M.quotes + 1]) .. '}')
end

-- Prints latency percentiles and errors as one JSON line (for the report).
function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end

return M
