/* Pages of a wall display panel that holds more than fits (the windows and services of a full-size hall).
 *
 * HallqPager.create(list, indicator) -> pager. The list is a CSS grid with fixed row heights; after each render
 * pager.layout() measures how many rows fit the list's height, shows one page of its children (the others stay
 * in the DOM, hidden, so the board's text is complete) and writes "1/3" with dots into the indicator.
 * HallqPager.turnEvery(ms, pagers) turns every pager that has several pages to its next page on one hall-wide
 * beat. A render never restarts the beat: in a busy hall the board changes every second, and a page must still
 * turn within `ms`.
 */
(function () {
  "use strict";

  function create(list, indicator) {
    var pager = {list: list, page: 0, pages: 1, perPage: 0, layout: layout, turn: turn};

    function columns(style) {
      return style.gridTemplateColumns.split(" ").filter(function (s) { return s && s !== "0px"; }).length || 1;
    }

    function capacity() {
      var style = getComputedStyle(list);
      var rowHeight = parseFloat(style.gridAutoRows);
      var gap = parseFloat(style.rowGap) || 0;
      if (!(rowHeight > 0)) return list.children.length || 1;
      // clientHeight includes padding; the lists have none, so this is the height rows may take.
      var rows = Math.max(1, Math.floor((list.clientHeight + gap + 0.5) / (rowHeight + gap)));
      return rows * columns(style);
    }

    function show() {
      var items = list.children;
      for (var i = 0; i < items.length; i++) {
        items[i].hidden = Math.floor(i / pager.perPage) !== pager.page;
      }
      list.dataset.page = String(pager.page + 1);
      list.dataset.pages = String(pager.pages);
      if (!indicator) return;
      indicator.hidden = pager.pages < 2;
      indicator.textContent = "";
      if (pager.pages < 2) return;
      indicator.appendChild(document.createTextNode((pager.page + 1) + "/" + pager.pages));
      for (var p = 0; p < pager.pages; p++) {
        var dot = document.createElement("span");
        dot.className = "dot" + (p === pager.page ? " on" : "");
        indicator.appendChild(dot);
      }
    }

    function layout() {
      pager.perPage = capacity();
      pager.pages = Math.max(1, Math.ceil(list.children.length / pager.perPage));
      if (pager.page >= pager.pages) pager.page = 0;
      show();
    }

    function turn() {
      if (pager.pages < 2) return;
      pager.page = (pager.page + 1) % pager.pages;
      show();
    }

    window.addEventListener("resize", layout);
    return pager;
  }

  function turnEvery(ms, pagers) {
    return setInterval(function () { pagers.forEach(function (p) { p.turn(); }); }, ms);
  }

  window.HallqPager = {create: create, turnEvery: turnEvery};
})();
