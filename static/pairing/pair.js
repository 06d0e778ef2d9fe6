/* /pair: exchange the one-time pairing code for this device's own token (POST /api/v1/pair), keep the token in
 * localStorage under the key the device's pages read (kiosk.js, screen.js, rater.js), then open the device's
 * page. The token never appears in an address. */
(function () {
  "use strict";
  var STORE = {
    kiosk: function (d) {
      localStorage.setItem("hallq.kiosk.token", d.token);
      localStorage.setItem("hallq.kiosk.hall", d.hall);
    },
    display: function (d) { localStorage.setItem("hallq.display.token." + d.hall, d.token); },
    rater: function (d) { localStorage.setItem("hallq.rater_token", d.token); }
  };
  var form = document.getElementById("pair-form");
  var error = document.getElementById("pair-error");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    error.hidden = true;
    var code = document.getElementById("pair-code").value.replace(/\D/g, "");
    fetch("/api/v1/pair", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({code: code})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { if (!r.ok) throw j; return j; });
    }).then(function (d) {
      STORE[d.kind](d);
      var done = document.getElementById("pair-done");
      done.textContent = "已配对「" + d.device + "」，正在打开… Paired, opening " + d.page;
      done.hidden = false;
      location.replace(d.page);
    }).catch(function (problem) {
      error.textContent = (problem && problem.title) ? problem.title + "：" + (problem.detail || "")
        : "配对失败，请检查网络 Pairing failed";
      error.hidden = false;
    });
  });
})();
