/* Shared by the wall display and window screens: the display token (kept in localStorage by the pairing page
 * /pair, so a kiosk-mode browser restarts without it; never taken from the address), the clock and the offline
 * badge. */
(function () {
  "use strict";
  function displayToken(hall) {
    return localStorage.getItem("hallq.display.token." + hall);
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
