// Registering a phone or e-mail request: as soon as the e-mail is typed, show who the customer
// is and their open requests (the server shows them again before creating a duplicate); only
// the chosen desk's custom fields are shown (the server reads only those).
(function () {
  "use strict";
  var desk = document.getElementById("id_desk");
  function showDeskFields() {
    document.querySelectorAll("fieldset.custom-fields").forEach(function (set) {
      set.hidden = !desk || set.dataset.desk !== desk.value;
    });
  }
  if (desk) { desk.addEventListener("change", showDeskFields); }
  showDeskFields();
  var panel = document.getElementById("requester");
  var email = document.getElementById("id_email");
  if (!panel || !email) { return; }
  // Empty, not the field's value: on a slow page the agent may type the address before this
  // script runs, and that address must still be looked up (see the call at the end).
  var lastLooked = "";

  function lookUp() {
    var value = email.value.trim();
    if (value === lastLooked || value.indexOf("@") < 1) { return; }
    lastLooked = value;
    var url = panel.dataset.lookupUrl + "?email=" + encodeURIComponent(value);
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        // The fragment is rendered by our own template, with every value escaped.
        if (html !== null && email.value.trim() === value) { panel.innerHTML = html; }
      })
      .catch(function () { /* the server checks again on submit */ });
  }
  email.addEventListener("change", lookUp);
  email.addEventListener("blur", lookUp);
  if (document.activeElement !== email) { lookUp(); }
})();
