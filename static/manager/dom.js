/* Helpers the manager console's pages share (monitor.js, settings.js): building elements and showing a
 * refused action's problem. */
(function () {
  "use strict";

  // el("td", {text: "A001", class: "num", onclick: fn}, [children]): text is set as text, never as HTML.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "onclick") node.addEventListener("click", attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  // The #action-error banner: the problem's Chinese title and detail, gone after six seconds.
  function showError(problem) {
    var box = document.getElementById("action-error");
    box.textContent = (problem && problem.title) ? problem.title + "：" + (problem.detail || "") : "操作失败 failed";
    box.hidden = false;
    setTimeout(function () { box.hidden = true; }, 6000);
  }

  window.HallqDom = {el: el, showError: showError};
})();
