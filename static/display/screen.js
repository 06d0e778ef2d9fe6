/* Shared by the wall display and window screens: the display token (given once as ?token=, then kept in
 * localStorage so a kiosk-mode browser restarts without it in the URL), the clock and the offline badge. */
(function () {
  "use strict";
  function displayToken(hall) {
    var key = "hallq.display.token." + hall;
    var params = new URLSearchParams(window.location.search);
    var given = params.get("token");
    if (given) {
      localStorage.setItem(key, given);
      params.delete("token");
      var rest = params.toString();
      history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : ""));
    }
    return localStorage.getItem(key);
  }
  function clock(el) {
    function tick() {
      el.textContent = new Date().toLocaleString("zh-CN", {hour12: false, month: "2-digit", day: "2-digit",
        weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit"});
    }
    tick();
    setInterval(tick, 1000);
  }
  function minutes(s) { return s == null ? "—" : Math.max(1, Math.round(s / 60)) + " 分钟"; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  window.HallqScreen = {displayToken: displayToken, clock: clock, minutes: minutes, el: el};
})();
