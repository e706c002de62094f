// The ticket page: who else is here and writing (a heartbeat to the presence endpoint), what
// changed since the page was loaded, canned replies inserted at the cursor, forms that submit
// once, and the reply, action and assignment forms (marked data-fetch) sent without leaving
// the page: the server answers with the parts that changed (workspace/_ticket_update.html),
// which are swapped in place. Others' changes arrive the same way when the live channel
// (live.js) says the ticket changed. The server enforces all of it again: this only makes it quicker.
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
  var presenceBox = document.getElementById("presence");
  var changesBox = document.getElementById("changes");
  var announcer = document.getElementById("announce");

  // The reply box is replaced after every update: always look it up afresh.
  function replyBox() { return document.getElementById("id_body"); }

  function announce(text) {
    if (!announcer) { return; }
    // Emptied first, so that the same words said twice are announced twice.
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function focusOn(el) {
    if (!el) { return; }
    el.focus();
    if (el.scrollIntoView) { el.scrollIntoView({ block: "nearest" }); }
  }

  function swapMessages(list) {
    var main = document.getElementById("main") || document.body;
    main.querySelectorAll(":scope > ul.messages").forEach(function (old) { old.remove(); });
    if (list.children.length) { main.insertBefore(list, main.firstChild); }
  }

  // Swaps in the parts of the answer, then says what happened and moves the focus.
  function applyUpdate(update, status, form) {
    inPlaceAnswers += 1;  // a live answer asked for before this one is older: refreshLive drops it
    var opened = update.dataset.open !== root.dataset.open;
    var messages = null;
    Array.prototype.slice.call(update.children).forEach(function (part) {
      var fresh = document.importNode(part, true);
      if (part.matches("ul.messages")) { messages = fresh; swapMessages(fresh); return; }
      if (part.hasAttribute("data-open-dependent") && !opened) { return; }
      var current = part.id && document.getElementById(part.id);
      if (current) { current.replaceWith(fresh); }
    });
    root.dataset.open = update.dataset.open;
    seen = update.dataset.seenEventId;
    root.dataset.seenEventId = seen;
    liveSeen = Math.max(liveSeen, parseInt(seen, 10) || 0);
    show(changesBox, [], "change");  // the page now shows everything up to here

    var collision = document.getElementById("collision");
    var said = messages ? messages.textContent.trim() : "";
    if (status === 409 && collision) {
      focusOn(collision);  // a role=alert: it is announced as it appears
      return;
    }
    announce(said);
    var failed = messages && messages.querySelector(".error");
    if (form.id === "reply-form") {
      focusOn(replyBox());
    } else if (failed) {
      // The same action's form again, with its text kept: back to its first field.
      var again = Array.prototype.find.call(
        document.querySelectorAll("form[data-fetch]"),
        function (f) { return f.getAttribute("action") === form.getAttribute("action"); }
      );
      focusOn((again && again.querySelector("textarea, input:not([type=hidden]), select, button")) || messages);
    } else {
      focusOn(document.getElementById("status-line"));
    }
  }

  function sendInPlace(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    form.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    })
      .then(function (response) {
        return response.text().then(function (html) {
          return { status: response.status, html: html };
        });
      })
      .then(function (answer) {
        var doc = new DOMParser().parseFromString(answer.html, "text/html");
        var update = doc.getElementById("ticket-update");
        if (!update) { return sendPlainly(form, submitter); }
        try {
          applyUpdate(update, answer.status, form);
        } catch (error) {
          // The change was made; only showing it failed: show the whole page instead.
          window.location.reload();
        }
      }, function () { sendPlainly(form, submitter); });
  }

  // Offline, or an answer that is not an update (a 404, a server error): send the form the
  // ordinary way; its one-time token keeps a second arrival from posting twice.
  function sendPlainly(form, submitter) {
    form.removeAttribute("aria-busy");
    form.dataset.plain = "1";
    delete form.dataset.sent;
    if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
  }

  // A form control holding what the agent typed or chose, or where they are writing now.
  function isDirty(part) {
    var active = document.activeElement;
    if (active && active !== document.body && part.contains(active) &&
        active.matches("textarea, input:not([type=hidden]):not([type=submit]), select")) {
      return true;
    }
    return Array.prototype.some.call(part.querySelectorAll("textarea, input, select"), function (el) {
      if (el.type === "hidden" || el.type === "submit") { return false; }
      if (el.type === "file") { return el.files && el.files.length > 0; }
      if (el.type === "checkbox" || el.type === "radio") { return el.checked !== el.defaultChecked; }
      if (el.tagName === "SELECT") {
        return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return el.value !== el.defaultValue;
    });
  }

  // A colleague's or the customer's change, heard on the live channel (live.js): the changed
  // parts are swapped in, except those holding what this agent is typing, which keep their
  // text and the newest event they were written against. So a writer still sees the banner
  // of what changed meanwhile (the next beat, at once) and is asked before posting over it.
  var liveSeen = parseInt(seen, 10) || 0;
  var inPlaceAnswers = 0;  // how many answers of this page's own actions were swapped in
  function applyLive(update) {
    var opened = update.dataset.open !== root.dataset.open;
    var fresh = update.dataset.seenEventId;
    var writing = false;
    Array.prototype.slice.call(update.children).forEach(function (part) {
      if (part.matches("ul.messages")) { return; }
      if (part.hasAttribute("data-open-dependent") && !opened) { return; }
      var current = part.id && document.getElementById(part.id);
      if (!current) { return; }
      if (isDirty(current)) {
        writing = writing || Boolean(current.querySelector("input[name=seen_event_id]"));
        return;
      }
      current.replaceWith(document.importNode(part, true));
    });
    root.dataset.open = update.dataset.open;
    liveSeen = Math.max(liveSeen, parseInt(fresh, 10) || 0);
    if (writing) {
      beat();  // shows what changed since the text being written was started
    } else {
      seen = fresh;
      root.dataset.seenEventId = seen;
      show(changesBox, [], "change");
    }
    announce(root.dataset.textLive);
  }

  var liveBusy = false;
  var liveAgain = false;
  function formBusy() { return Boolean(document.querySelector("form[data-fetch][aria-busy]")); }
  function refreshLive() {
    if (liveBusy) { liveAgain = true; return; }
    if (formBusy()) { return; }  // its answer refreshes
    liveBusy = true;
    // An action's own answer that comes in while this one travels is newer, and may carry what
    // this one does not (the collision warning of a refused reply): this one is then dropped.
    var asked = inPlaceAnswers;
    fetch(window.location.pathname, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html || asked !== inPlaceAnswers || formBusy()) { return; }
        var update = new DOMParser().parseFromString(html, "text/html").getElementById("ticket-update");
        if (update) { applyLive(update); }
      })
      .catch(function () { /* offline for a moment: the next notice tries again */ })
      .then(function () {
        liveBusy = false;
        if (liveAgain) { liveAgain = false; refreshLive(); }
      });
  }

  document.addEventListener("live:changed", function (event) {
    var notice = event.detail || {};
    if (notice.what === "presence") { beat(); return; }  // who is here or writing changed
    if (!notice.resync && !(notice.id > Math.max(liveSeen, parseInt(seen, 10) || 0))) { return; }
    refreshLive();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!root.contains(form) || form.dataset.plain) { return; }
    if (form.classList.contains("once")) {
      // A double click or a second Enter must not send the form twice.
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    }
    if (!form.hasAttribute("data-fetch") || !window.fetch || !window.DOMParser) { return; }
    event.preventDefault();
    if (form.hasAttribute("aria-busy")) { return; }  // its answer is on the way
    sendInPlace(form, event.submitter);
  });

  var canned = document.getElementById("canned-form");
  if (canned) {
    canned.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = replyBox();
      var option = canned.querySelector("select").selectedOptions[0];
      if (!option || !body) { return; }
      var text = option.dataset.text || "";
      var start = body.selectionStart, end = body.selectionEnd;
      body.value = body.value.slice(0, start) + text + body.value.slice(end);
      body.focus();
      body.selectionStart = body.selectionEnd = start + text.length;
      body.dispatchEvent(new Event("input"));
    });
  }

  function isTyping() {
    var body = replyBox();
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

  root.addEventListener("input", function (event) {
    if (event.target.id !== "id_body") { return; }
    lastTypedAt = Date.now();
    if (!wasTyping) { beat(); }  // others see "writing" at once, not at the next beat
  });
  beat();
  setInterval(function () { if (!document.hidden) { beat(); } }, pollMs);
  window.addEventListener("pagehide", function () {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
    if (navigator.sendBeacon) { navigator.sendBeacon(leaveUrl, data); }
  });
})();
