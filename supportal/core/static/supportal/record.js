// The printable record's "Print or save as PDF" button (supportal/tickets/record.py): shown only
// where scripts run, since without them the browser's own print command does the same.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
