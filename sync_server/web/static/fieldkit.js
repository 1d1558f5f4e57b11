/* fieldkit staff pages: small enhancements only; every page works with JavaScript off.
 * Tables with class "data" sort by a column when its heading is clicked (figures sort by their
 * raw data-value); a button[data-print] (hidden without JavaScript) prints the page. */
(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var raw = cell.getAttribute("data-sort");
    return raw !== null ? raw : cell.textContent.trim();
  }
  function sortBy(table, index, th) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < 2) return;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      var nx = x === "" ? -Infinity : Number(x), ny = y === "" ? -Infinity : Number(y);
      var result = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y, document.documentElement.lang);
      return ascending ? result : -result;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(th.parentNode.children, function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  function enhance(root) {
    Array.prototype.forEach.call(root.querySelectorAll("table.data"), function (table) {
      if (table.dataset.sortable === "on") return;
      table.dataset.sortable = "on";
      var head = table.tHead && table.tHead.rows[0];
      if (!head) return;
      Array.prototype.forEach.call(head.cells, function (th, index) {
        th.setAttribute("data-heading", th.textContent.trim());  /* printed: buttons are not */
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort";
        while (th.firstChild) button.appendChild(th.firstChild);
        th.appendChild(button);
        button.addEventListener("click", function () { sortBy(table, index, th); });
      });
    });
  }
  function printButtons(root) {
    Array.prototype.forEach.call(root.querySelectorAll("button[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); printButtons(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
