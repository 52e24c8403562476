-- wrk script: authenticated GETs of 100-contact list pages, cycling over every page.
local page = 0
local pages = tonumber(os.getenv("PAGES") or "100")
local token = os.getenv("TOKEN") or "sim-token"

request = function()
    page = page % pages + 1
    return wrk.format("GET", "/v1/contacts?limit=100&page=" .. page, { ["Authorization"] = "Bearer " .. token })
end

done = function(summary, latency, requests)
    io.write(string.format("requests=%d errors=%d duration_s=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
        summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
