// Suggestions while a customer writes a new request (docs/knowledge.md): after a pause in typing
// the summary and details are sent to the server, which answers with an HTML fragment of the
// articles and solved requests the customer may see. The form works without this file.
(function () {
  "use strict";
  var box = document.getElementById("suggestions");
  if (!box || !window.fetch || !window.DOMParser) { return; }
  var form = box.closest("form");
  var fields = [form.querySelector("[name=summary]"), form.querySelector("[name=details]")];
  var PAUSE_MS = 300;
  var timer = null, last = "", controller = null;

  function text() {
    return fields.filter(Boolean).map(function (field) { return field.value; }).join("\n").trim();
  }

  function load() {
    var query = text();
    if (query === last) { return; }
    last = query;
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var url = box.dataset.url + "?token=" + encodeURIComponent(box.dataset.token) +
      "&q=" + encodeURIComponent(query.slice(0, 2000));
    fetch(url, { credentials: "same-origin", signal: controller ? controller.signal : undefined,
                 headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var parsed = new DOMParser().parseFromString(html, "text/html");
        box.replaceChildren.apply(box, Array.prototype.slice.call(parsed.body.childNodes));
      })
      .catch(function () { /* a newer request replaced it, or the network failed: keep the form */ });
  }

  fields.forEach(function (field) {
    if (!field) { return; }
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, PAUSE_MS);
    });
  });
  if (text()) { load(); }
})();
