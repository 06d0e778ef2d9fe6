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
  // A window as people find it: "3号 综合窗口" (names repeat in real halls; the number is the one above the
  // counter). A name that already starts with its number ("3号窗口") is shown as it is.
  function windowLabel(number, name) {
    var no = number + "号";
    if (!name) return no + "窗口";
    return name.indexOf(no) === 0 ? name : no + " " + name;
  }
  // The feed was refused (wrong or revoked token) or came back: show or hide the page's #refused box.
  function showRefused(refused) {
    var box = document.getElementById("refused");
    if (box) box.hidden = !refused;
    document.body.dataset.refused = refused ? "1" : "0";
  }
  window.HallqScreen = {displayToken: displayToken, clock: clock, minutes: minutes, el: el,
    windowLabel: windowLabel, showRefused: showRefused};
})();
