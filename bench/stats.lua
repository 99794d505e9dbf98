-- wrk script used by bench/wrk.ts for every run that is not pipelined: no request() or
-- response() hooks (so wrk keeps its static, hook-free fast path), only done(), which prints
-- exact totals as one machine-readable line after wrk's own report.

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_STATS {"requests":%d,"bytes":%d,"duration_us":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"status":%d,"lat_mean_us":%.1f,"lat_p50_us":%d,"lat_p99_us":%d}\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.timeout,
    e.status, latency.mean, latency:percentile(50), latency:percentile(99)))
end
