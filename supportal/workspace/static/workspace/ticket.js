// The ticket page: who else is here and writing (a heartbeat to the presence endpoint), what
// changed since the page was loaded, canned replies inserted at the cursor, and forms that
// submit once. The server enforces all of it again: this only makes it visible sooner.
(function () {
  "use strict";
  var root = document.getElementById("ticket");
  if (!root) { return; }
  var presenceUrl = root.dataset.presenceUrl;
  var leaveUrl = root.dataset.leaveUrl;
  var pollMs = Math.max(1, parseInt(root.dataset.pollSeconds, 10) || 10) * 1000;
  var seen = root.dataset.seenEventId;
  var TYPING_MS = 15000;
  var lastTypedAt = 0;
  var wasTyping = false;
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  var body = document.getElementById("id_body");
  var presenceBox = document.getElementById("presence");
  var changesBox = document.getElementById("changes");

  // A double click or a second Enter must not send the form twice.
  document.querySelectorAll("form.once").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });

  var canned = document.getElementById("canned-form");
  if (canned && body) {
    canned.addEventListener("submit", function (event) {
      event.preventDefault();
      var option = canned.querySelector("select").selectedOptions[0];
      if (!option) { return; }
      var text = option.dataset.text || "";
      var start = body.selectionStart, end = body.selectionEnd;
      body.value = body.value.slice(0, start) + text + body.value.slice(end);
      body.focus();
      body.selectionStart = body.selectionEnd = start + text.length;
      body.dispatchEvent(new Event("input"));
    });
  }

  function isTyping() {
    return Date.now() - lastTypedAt < TYPING_MS && Boolean(body && body.value.trim());
  }

  function show(box, lines, className) {
    box.textContent = "";
    lines.forEach(function (line) {
      var span = document.createElement("span");
      span.className = className;
      span.textContent = line;
      box.appendChild(span);
    });
    box.hidden = lines.length === 0;
  }

  function beat() {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
    data.append("typing", isTyping() ? "1" : "0");
    data.append("seen_event_id", seen);
    wasTyping = isTyping();
    return fetch(presenceUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        show(presenceBox, state.others.map(function (other) {
          var template = other.is_typing ? root.dataset.textTyping : root.dataset.textPresent;
          return template.replace("%(name)s", other.name);
        }), "who");
        presenceBox.querySelectorAll("span").forEach(function (span, i) {
          span.classList.toggle("typing", state.others[i].is_typing);
        });
        var lines = state.changes.length ? [root.dataset.textChanged].concat(state.changes) : [];
        show(changesBox, lines, "change");
      })
      .catch(function () { /* offline for a moment: the next beat tries again */ });
  }

  if (body) {
    body.addEventListener("input", function () {
      lastTypedAt = Date.now();
      if (!wasTyping) { beat(); }  // others see "writing" at once, not at the next beat
    });
  }
  beat();
  setInterval(function () { if (!document.hidden) { beat(); } }, pollMs);
  window.addEventListener("pagehide", function () {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
    if (navigator.sendBeacon) { navigator.sendBeacon(leaveUrl, data); }
  });
})();
