// The ticket page's suggestions panel (docs/knowledge.md): loaded after the page, so the page
// itself costs no search; a button with data-insert puts its text into the reply at the cursor,
// as a draft the agent edits and sends.
(function () {
  "use strict";
  var panel = document.getElementById("kb-suggestions");
  if (!panel || !window.fetch || !window.DOMParser) { return; }

  function load(url) {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var parsed = new DOMParser().parseFromString(html, "text/html");
        panel.replaceChildren.apply(panel, Array.prototype.slice.call(parsed.body.childNodes));
      })
      .catch(function () { /* the link to the panel stays */ });
  }
  load(panel.dataset.url);

  // The panel's own search (another wording, an article's name) replaces the panel in place.
  panel.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-kb-search]");
    if (!form) { return; }
    event.preventDefault();
    load(form.action + "?q=" + encodeURIComponent(form.querySelector("[name=q]").value));
  });

  panel.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert]");
    var body = document.getElementById("id_body");
    if (!button || !body) { return; }
    var text = button.dataset.insert;
    var start = body.selectionStart, end = body.selectionEnd;
    var before = body.value.slice(0, start);
    if (before && !/\s$/.test(before)) { text = "\n" + text; }
    body.value = before + text + body.value.slice(end);
    body.focus();
    body.selectionStart = body.selectionEnd = start + text.length;
    body.dispatchEvent(new Event("input"));
  });
})();
