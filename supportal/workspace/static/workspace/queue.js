// The queue page: "select all" for bulk actions, and the queue counts refreshed in place.
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
  setInterval(refresh, REFRESH_MS);
  document.addEventListener("visibilitychange", refresh);
})();
