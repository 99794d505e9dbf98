-- HTTP/1.1 pipelining for wrk, after TechEmpower's pipeline.lua: each write carries `depth`
-- requests (first script argument, default 16), e.g.
--   wrk -c 64 -s bench/pipeline.lua http://127.0.0.1:8080/1k.bin -- 16
--
-- Counting: at start-up wrk parses what request() returns, finds `depth` requests in it and
-- expects that many responses per write (connection->pending); every parsed *response* is
-- counted as one request in wrk's totals and Requests/sec, and the next batch is written only
-- when all `depth` responses of the previous one have arrived. So Requests/sec here is
-- responses per second, comparable with the non-pipelined rows.

init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end

-- Same machine-readable summary as bench/stats.lua.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_STATS {"requests":%d,"bytes":%d,"duration_us":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"status":%d,"lat_mean_us":%.1f,"lat_p50_us":%d,"lat_p99_us":%d}\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.timeout,
    e.status, latency.mean, latency:percentile(50), latency:percentile(99)))
end
