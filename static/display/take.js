// 线上取号 on the phone: /take/<hall> takes a live ticket and opens its phone page; /arrive/<hall> (what the
// entrance QR opens) confirms the arrival of the tickets this phone took and checks in the bookings it manages
// here. The phone keeps their tokens in its own storage, never in an address.
"use strict";
(function () {
  const body = document.body;
  const hall = body.dataset.hall;
  const $ = (id) => document.getElementById(id);
  const KEY = "hallq.remote." + hall;

  function kept() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function keep(list) {
    try { localStorage.setItem(KEY, JSON.stringify(list.slice(-5))); } catch (e) { /* private mode: QR unused */ }
  }

  function showError(problem) {
    const error = $("error");
    error.textContent = problem && problem.detail ? problem.title + "：" + problem.detail
      : "网络不通，请稍后再试。Network problem, please try again.";
    error.hidden = false;
  }

  async function post(url, data) {
    try {
      const response = await fetch(url, {method: "POST", body: JSON.stringify(data),
        headers: {"Accept": "application/json", "Content-Type": "application/json"}});
      return {ok: response.ok, status: response.status, json: await response.json().catch(() => null)};
    } catch (e) {
      return {ok: false, status: 0, json: null};
    }
  }

  const form = $("take");
  if (form) {
    const submit = $("submit");
    const ready = () => {
      const service = form.querySelector("input[name=service]:checked");
      submit.disabled = !(service && ($("phone").value.trim() || $("id_number").value.trim()));
    };
    form.addEventListener("input", ready);
    form.addEventListener("change", ready);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      const data = {service: form.querySelector("input[name=service]:checked").value};
      if ($("phone").value.trim()) data.phone = $("phone").value.trim();
      else data.id_number = $("id_number").value.trim();
      const res = await post(`/api/v1/halls/${hall}/remote-tickets`, data);
      if (!res.ok) { showError(res.json); ready(); return; }
      const t = res.json;
      keep(kept().filter((k) => k.token !== t.track_token).concat(
        [{token: t.track_token, number: t.number, service_name: t.service_name}]));
      location.assign("/t/" + encodeURIComponent(t.track_token));
    });
    return;
  }

  // /arrive/<hall>: confirm every ticket this phone took here, with the code the entrance QR carries.
  (async () => {
    const code = body.dataset.code;
    const list = $("list");
    const still = [];
    let confirmed = 0;
    for (const k of kept()) {
      const res = await post(`/api/v1/track/${encodeURIComponent(k.token)}/arrive`, {hall_code: code});
      if (res.status === 404 || (res.status === 409 && res.json && res.json.code !== "entrance_code_wrong")) continue;
      still.push(k);
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "/t/" + encodeURIComponent(k.token);
      link.className = "primary";
      if (res.ok) {
        confirmed += 1;
        link.textContent = k.number + " " + k.service_name + " 已确认到达 Arrived ›";
      } else {
        link.textContent = k.number + " " + k.service_name + " ›";
        showError(res.json);
      }
      item.appendChild(link);
      list.appendChild(item);
    }
    keep(still);
    // 预约签到: the bookings this phone manages here (book.js keeps their tokens) check in with the same code.
    const BOOKINGS = "hallq.bookings." + hall;
    let bookings = [];
    try { bookings = JSON.parse(localStorage.getItem(BOOKINGS) || "[]"); } catch (e) { /* private mode */ }
    const waiting = [];
    let lastTrack = null;
    for (const manage of bookings) {
      const res = await post(`/api/v1/appointments/${encodeURIComponent(manage)}/check-in`, {hall_code: code});
      if (res.status === 404) continue;  // cancelled, checked in elsewhere or gone: nothing left to do here
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.className = "primary";
      if (res.ok) {
        confirmed += 1;
        lastTrack = new URL(res.json.track_url).pathname;
        link.href = lastTrack;
        link.textContent = res.json.number + " " + res.json.service_name + " 预约已签到 Checked in ›";
      } else {
        waiting.push(manage);
        link.href = "/book/manage/" + encodeURIComponent(manage);
        link.textContent = "我的预约 My booking ›";
        showError(res.json);
      }
      item.appendChild(link);
      list.appendChild(item);
    }
    try { localStorage.setItem(BOOKINGS, JSON.stringify(waiting)); } catch (e) { /* private mode */ }
    $("working").hidden = true;
    const shown = list.children.length;
    $("nothing").hidden = shown > 0;
    body.dataset.confirmed = String(confirmed);
    if (confirmed === 1 && shown === 1) location.assign(lastTrack || "/t/" + encodeURIComponent(still[0].token));
  })();
})();
