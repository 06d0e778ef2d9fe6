/* hallq: requests that ride out a moment of server trouble (docs/api.md, 503 service_unavailable).
 *
 * HallqRetry.fetch(url, opts, onWait) is fetch() that, when the server answers 503 service_unavailable (the
 * database restarting), waits the Retry-After it names and sends the same request again, for up to a minute,
 * calling onWait(message) so the page can tell the person what is happening. A 503 means the server did nothing,
 * so even a POST is safe to send again. A network failure is retried the same way for GET only: a POST whose
 * answer was lost may have been carried out, and the page must not do it twice.
 */
(function () {
  "use strict";

  var GIVE_UP_MS = 60000;
  var WAITING = "服务器暂时繁忙（数据库正在恢复），正在自动重试… Server busy, retrying…";
  var OFFLINE = "网络连接中断，正在自动重试… Network down, retrying…";

  function pause(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function retryAfterMs(resp) {
    var s = parseFloat(resp.headers.get("Retry-After"));
    return isFinite(s) && s > 0 ? Math.min(s, 10) * 1000 : 2000;
  }

  async function unavailable(resp) {
    if (resp.status !== 503) return false;
    try { return (await resp.clone().json()).code === "service_unavailable"; } catch (e) { return false; }
  }

  async function retrying(url, opts, onWait) {
    var method = ((opts && opts.method) || "GET").toUpperCase();
    var idempotent = method === "GET" || method === "HEAD";
    var deadline = Date.now() + GIVE_UP_MS;
    var waited = false;
    for (;;) {
      var resp;
      try {
        resp = await fetch(url, opts);
      } catch (e) {
        if (!idempotent || Date.now() > deadline) throw e;
        if (onWait) onWait(OFFLINE);
        waited = true;
        await pause(2000);
        continue;
      }
      if (Date.now() < deadline && await unavailable(resp)) {
        if (onWait) onWait(WAITING);
        waited = true;
        await pause(retryAfterMs(resp));
        continue;
      }
      if (waited && onWait) onWait(null);  // over: the page may clear its message
      return resp;
    }
  }

  window.HallqRetry = {fetch: retrying};
})();
