-- wrk script: GET /healthz, the web stack's own cost per request (gunicorn, Flask, the request log), no database.
request = function()
  return wrk.format("GET", "/healthz")
end
