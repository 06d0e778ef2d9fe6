/* hallq kiosk: the on-screen keyboard for every search box (input[data-osk]). A touch kiosk has no keyboard and
   no input method: the citizen types pinyin letters — full pinyin (shebao) or initials (sb) — and taps one of the
   words the server finds for them in the catalogue (/kiosk/candidates?letters=, the titles of guides and
   disclosures by pinyin). 搜索 with letters still pending searches by those letters (search understands pinyin). */
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-osk]");
  if (!inputs.length) return;
  var cfg = JSON.parse(document.getElementById("kiosk-config").textContent);
  function t(key) { return (cfg.texts && cfg.texts[key]) || key; }
  var ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
  var target = null, letters = "", asked = 0;

  var pad = document.createElement("div");
  pad.className = "osk";
  pad.id = "osk";
  pad.setAttribute("role", "group");
  pad.setAttribute("aria-label", "keyboard");
  var top = document.createElement("div");
  top.className = "osk-top";
  top.innerHTML = '<span class="osk-letters" data-osk-letters></span><div class="osk-cands" data-osk-cands></div>';
  pad.appendChild(top);
  var shown = top.querySelector("[data-osk-letters]"), cands = top.querySelector("[data-osk-cands]");

  function key(label, value, extra) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn" + (extra ? " " + extra : "");
    b.textContent = label;
    b.setAttribute("data-osk-key", value);
    return b;
  }
  ROWS.forEach(function (row, i) {
    var line = document.createElement("div");
    line.className = "osk-row";
    row.split("").forEach(function (c) { line.appendChild(key(c, c)); });
    if (i === 2) line.appendChild(key("⌫", "del", "wide"));
    pad.appendChild(line);
  });
  var last = document.createElement("div");
  last.className = "osk-row";
  last.appendChild(key(t("clear"), "clear", "wide"));
  last.appendChild(key(t("space"), "space", "wide"));
  last.appendChild(key(t("hide_keyboard"), "hide", "wide"));
  last.appendChild(key(t("search"), "go", "wide go"));
  pad.appendChild(last);
  document.body.appendChild(pad);

  function hint() {
    cands.innerHTML = "";
    var h = document.createElement("span");
    h.className = "osk-hint";
    h.textContent = t("keyboard_hint");
    cands.appendChild(h);
  }
  function render(words) {
    cands.innerHTML = "";
    words.forEach(function (w) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn";
      b.textContent = w;
      b.setAttribute("data-osk-cand", w);
      cands.appendChild(b);
    });
  }
  function ask() {
    shown.textContent = letters;
    if (!letters) { hint(); return; }
    var mine = ++asked;
    fetch("/kiosk/candidates?letters=" + encodeURIComponent(letters), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === asked) render(data.candidates || []); })
      .catch(function () { if (mine === asked) render([]); });
  }
  function commit(text) {
    if (!target) return;
    target.value = (target.value + text).slice(0, target.maxLength > 0 ? target.maxLength : 64);
    letters = "";
    ask();
  }
  function open(input) {
    target = input;
    pad.classList.add("on");
    document.body.classList.add("osk-open");
    document.body.style.setProperty("--osk-height", pad.offsetHeight + 24 + "px");
    if (!letters) hint();
  }
  function close() {
    pad.classList.remove("on");
    document.body.classList.remove("osk-open");
  }

  // Keep the focus (and the caret) in the search box while keys are tapped.
  pad.addEventListener("mousedown", function (e) { e.preventDefault(); });
  pad.addEventListener("click", function (e) {
    var cand = e.target.closest("[data-osk-cand]");
    if (cand) { commit(cand.getAttribute("data-osk-cand")); return; }
    var b = e.target.closest("[data-osk-key]");
    if (!b || !target) return;
    var v = b.getAttribute("data-osk-key");
    if (v === "del") {
      if (letters) letters = letters.slice(0, -1); else target.value = target.value.slice(0, -1);
      ask();
    } else if (v === "clear") {
      letters = ""; target.value = ""; ask();
    } else if (v === "space") {
      commit(letters ? letters + " " : " ");
    } else if (v === "hide") {
      close();
    } else if (v === "go") {
      if (letters) commit(letters);
      var form = target.form;
      if (form && target.value.trim()) { if (form.requestSubmit) form.requestSubmit(); else form.submit(); }
    } else if (letters.length < 30) {
      letters += v; ask();
    }
  });
  inputs.forEach(function (input) {
    input.addEventListener("focus", function () { open(input); });
    input.addEventListener("pointerdown", function () { open(input); });
    // A physical keyboard, where there is one, types as usual; the on-screen one stays in step.
    input.addEventListener("input", function () { letters = ""; ask(); });
  });
  // A search page opened with a query shows its results first; the home page waits for a tap on the box.
})();
