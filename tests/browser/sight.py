"""What a person in front of the screen can actually see: elements inside the viewport, not clipped by any
ancestor (nor their own text cut off with an ellipsis), and not covered by anything drawn over them."""

from __future__ import annotations

from typing import Any

# Returns, for each element matching the selector, its key (data-window, data-service or its text) when it is
# seen. Not covered: nine points spread over it must hit the element itself or its children.
SEEN_JS = """
([selector, key]) => {
  const vw = window.innerWidth, vh = window.innerHeight, eps = 0.5;
  function inside(r, box) {
    return r.left >= box.left - eps && r.top >= box.top - eps && r.right <= box.right + eps
      && r.bottom <= box.bottom + eps;
  }
  function textCut(el) {
    for (const d of [el, ...el.querySelectorAll('*')]) {
      if (d.scrollWidth > d.clientWidth + 1 && getComputedStyle(d).overflowX !== 'visible') return true;
    }
    return false;
  }
  function seen(el) {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    if (!inside(r, {left: 0, top: 0, right: vw, bottom: vh})) return false;
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if ((cs.overflowX !== 'visible' || cs.overflowY !== 'visible') && !inside(r, a.getBoundingClientRect())) {
        return false;
      }
    }
    if (getComputedStyle(el).visibility === 'hidden') return false;
    if (textCut(el)) return false;
    // A quarter in from each side: a rounded corner's own pixels are not part of the element.
    const xs = [r.left + r.width / 4, r.left + r.width / 2, r.right - r.width / 4];
    const ys = [r.top + r.height / 4, r.top + r.height / 2, r.bottom - r.height / 4];
    for (const x of xs) for (const y of ys) {
      const hit = document.elementFromPoint(x, y);
      if (!hit || !(hit === el || el.contains(hit))) return false;
    }
    return true;
  }
  return Array.from(document.querySelectorAll(selector)).filter(seen)
    .map(el => key ? el.dataset[key] : el.textContent);
}
"""


def seen(page: Any, selector: str, key: str | None = None) -> list[str]:
    """Keys (dataset[key]) or texts of the elements matching `selector` that a person can see right now."""
    return page.evaluate(SEEN_JS, [selector, key])  # type: ignore[no-any-return]


def font_share_of_short_side(page: Any, selector: str) -> float:
    """The element's computed font size as a share of the viewport's short side (a screen's physical size is
    known by its diagonal, so its short side fixes how many millimetres a share is)."""
    return page.evaluate(  # type: ignore[no-any-return]
        "s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)"
        " / Math.min(window.innerWidth, window.innerHeight)", selector)
