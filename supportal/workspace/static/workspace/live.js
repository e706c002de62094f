// The live channel of the queue and ticket pages (docs/workspace.md, Live updates). It only
// hears that something changed — "ticket HELP-12 changed", never what — and tells the page
// with a "live:changed" event on the document; the page then fetches its own parts as it does
// after an action (ticket.js, queue.js), so what an agent may see is checked as always.
// With the server's stream (server-sent events, data-mode="stream") a notice arrives at once;
// without it (no Redis, or a server that cannot hold a connection: the stream answers 204)
// the page asks for the last event id every few seconds and tells the page when it moved.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var mode = script.dataset.mode;
  var streamUrl = script.dataset.streamUrl;
  var lastUrl = script.dataset.lastUrl;
  var pollMs = Math.max(500, parseFloat(script.dataset.pollSeconds) * 1000 || 1500);
  var ticketRoot = document.getElementById("ticket");
  var reference = ticketRoot ? ticketRoot.dataset.reference : "";
  var polling = false;

  function tell(detail) {
    document.dispatchEvent(new CustomEvent("live:changed", { detail: detail }));
  }

  // The fallback: the last event id of this ticket (or of the agent's desks). The browser
  // revalidates with the ETag, so an unchanged answer is a bodiless 304.
  function startPolling() {
    if (polling) { return; }
    polling = true;
    var url = lastUrl + (reference ? "?ticket=" + encodeURIComponent(reference) : "");
    var last = ticketRoot ? parseInt(ticketRoot.dataset.seenEventId, 10) || 0 : null;
    function poll() {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (!answer) { return; }
          if (last !== null && answer.id > last) { tell({ ticket: reference, id: answer.id }); }
          last = answer.id;
        })
        .catch(function () { /* offline for a moment: the next poll tries again */ });
    }
    poll();
    setInterval(poll, pollMs);
    document.addEventListener("visibilitychange", poll);
  }

  function checkOnce() {
    fetch(lastUrl + "?ticket=" + encodeURIComponent(reference), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && answer.id > (parseInt(ticketRoot.dataset.seenEventId, 10) || 0)) {
          tell({ ticket: reference, id: answer.id });
        }
      })
      .catch(function () { /* the next notice will do */ });
  }

  function startStream() {
    var source = new EventSource(streamUrl);
    var dropped = false;
    source.onmessage = function (event) {
      var notice;
      try { notice = JSON.parse(event.data); } catch (error) { return; }
      if (!reference || notice.ticket === reference) { tell(notice); }
    };
    // Notices may have been missed (the server's subscription was lost, or ours): fetch once.
    source.addEventListener("resync", function () { tell({ resync: true }); });
    var opened = false;
    source.onopen = function () {
      if (dropped) { tell({ resync: true }); }
      dropped = false;
      // What changed between the page's rendering and now was not on the stream: ask once.
      if (!opened && ticketRoot) { checkOnce(); }
      opened = true;
    };
    source.onerror = function () {
      dropped = true;
      // Closed for good (a 204: no stream here): poll instead. Otherwise the browser retries.
      if (source.readyState === EventSource.CLOSED) { startPolling(); }
    };
    window.addEventListener("pagehide", function () { source.close(); });
  }

  if (mode === "stream" && window.EventSource) { startStream(); } else { startPolling(); }
})();
