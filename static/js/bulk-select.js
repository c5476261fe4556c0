// The inbox's bulk bar: "select all on this page" and a count of the ticked rows. Without it the rows' own
// checkboxes and the bar's plain form POST do everything; this only saves clicks.
(function () {
  "use strict";
  function setUp() {
    var all = document.querySelector("[data-select-all]");
    if (!all) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-bulk-item]"));
    var count = document.querySelector("[data-bulk-count]");
    function refresh() {
      var ticked = rows.filter(function (box) { return box.checked; }).length;
      all.checked = ticked > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
      if (count) count.textContent = ticked ? ticked + (ticked === 1 ? " item selected" : " items selected") : "";
    }
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
    rows.forEach(function (box) { box.addEventListener("change", refresh); });
    document.querySelector("[data-select-all-wrap]").hidden = false;
    refresh();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
