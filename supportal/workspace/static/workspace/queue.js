// The queue page: "select all" for bulk actions, the queue counts refreshed in place, and the
// rows fetched again when the live channel (live.js) says a ticket of the agent's desks
// changed — a new request appears without a reload, and ticked rows stay ticked.
(function () {
  "use strict";
  var REFRESH_MS = 30000;
  var script = document.currentScript;
  var countsUrl = script && script.dataset.countsUrl;

  var all = document.getElementById("select_all");
  var selected = document.getElementById("selected-count");
  function countSelected() {
    if (selected) {
      selected.textContent = document.querySelectorAll("input[name=ticket]:checked").length;
    }
  }
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=ticket]").forEach(function (box) {
        box.checked = all.checked;
      });
      countSelected();
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "ticket") { countSelected(); }
  });
  document.addEventListener("selection", countSelected);

  function refresh() {
    if (document.hidden || !countsUrl) { return; }
    fetch(countsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        Object.keys(counts).forEach(function (key) {
          var el = document.querySelector("[data-count='" + key + "']");
          if (el) { el.textContent = counts[key]; }
        });
      })
      .catch(function () { /* offline for a moment: the next refresh tries again */ });
  }
  var rowsBusy = false;
  var rowsAgain = false;
  function refreshRows() {
    if (rowsBusy) { rowsAgain = true; return; }
    rowsBusy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("table.queue tbody");
        var current = document.querySelector("table.queue tbody");
        if (!fresh || !current) { return; }
        var ticked = {};
        current.querySelectorAll("input[name=ticket]:checked").forEach(function (box) { ticked[box.value] = true; });
        var rows = document.importNode(fresh, true);
        rows.querySelectorAll("input[name=ticket]").forEach(function (box) { box.checked = Boolean(ticked[box.value]); });
        current.replaceWith(rows);
        doc.querySelectorAll("[data-count]").forEach(function (count) {
          var el = document.querySelector("[data-count='" + count.dataset.count + "']");
          if (el) { el.textContent = count.textContent; }
        });
        countSelected();
      })
      .catch(function () { /* offline for a moment: the next notice tries again */ })
      .then(function () {
        rowsBusy = false;
        if (rowsAgain) { rowsAgain = false; refreshRows(); }
      });
  }
  document.addEventListener("live:changed", function (event) {
    if (event.detail && event.detail.what === "presence") { return; }  // ticket pages only
    refreshRows();
  });
  setInterval(refresh, REFRESH_MS);
  document.addEventListener("visibilitychange", refresh);
})();
