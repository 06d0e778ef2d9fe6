-- wrk script: POST a ticket for a random bench service with the kiosk token from the environment.
local token = os.getenv("HALLQ_BENCH_TOKEN")
local close = os.getenv("HALLQ_BENCH_CLOSE") == "1"
local services = {"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"}
math.randomseed(os.time())

request = function()
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  if close then headers["Connection"] = "close" end
  local body = '{"service": "' .. services[math.random(#services)] .. '"}'
  return wrk.format("POST", "/api/v1/halls/bench/tickets", headers, body)
end
