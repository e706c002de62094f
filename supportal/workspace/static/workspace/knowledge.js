// The ticket page's suggestions panel (docs/knowledge.md): loaded after the page, so the page
// itself costs no search; a button with data-insert puts its text into the reply at the cursor,
// as a draft the agent edits and sends. While the agent writes the reply, the panel follows it:
// 600 ms after the last keystroke, the reply's last 300 characters are the panel's search.
(function () {
  "use strict";
  var panel = document.getElementById("kb-suggestions");
  if (!panel || !window.fetch || !window.DOMParser) { return; }

  var pending = null;
  function load(url) {
    // Only the latest search answers: an earlier one still on its way is dropped.
    if (pending && window.AbortController) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    fetch(url, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      signal: pending ? pending.signal : undefined
    })
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

  var reply = document.getElementById("id_body");
  var typed = "", timer = null, inserting = false;
  if (reply) {
    reply.addEventListener("input", function () {
      if (inserting) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var text = reply.value.trim().slice(-300);
        // Too short to say anything yet, or unchanged: the panel stays as it is.
        if (text === typed || text.split(/\s+/).length < 3) { return; }
        typed = text;
        load(panel.dataset.url + "?q=" + encodeURIComponent(text));
      }, 600);
    });
  }

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
    // Other listeners (the draft's autosave) learn of it; the panel does not search its own text.
    inserting = true;
    body.dispatchEvent(new Event("input"));
    inserting = false;
  });
})();
