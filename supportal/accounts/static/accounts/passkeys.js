// Passkeys (docs/security.md#two-factor-sign-in): the page asks the server for the options,
// the browser's WebAuthn API talks to the authenticator, the server verifies the answer.
(function () {
  "use strict";
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] ||
    (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  const b64 = {
    decode(text) {
      const s = text.replace(/-/g, "+").replace(/_/g, "/");
      const raw = atob(s + "===".slice((s.length + 3) % 4));
      return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
    },
    encode(buffer) {
      const bytes = new Uint8Array(buffer);
      let raw = "";
      bytes.forEach((b) => { raw += String.fromCharCode(b); });
      return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    },
  };
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify(body || {}),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || "refused");
    return data;
  }
  function fail(error) {
    const box = document.getElementById("passkey-error");
    if (box) box.hidden = false;
    console.warn(error);
  }
  const add = document.getElementById("passkey-add");
  if (add) add.addEventListener("click", async () => {
    const section = document.getElementById("passkeys");
    try {
      const options = await post(section.dataset.options);
      options.challenge = b64.decode(options.challenge);
      options.user.id = b64.decode(options.user.id);
      (options.excludeCredentials || []).forEach((c) => { c.id = b64.decode(c.id); });
      const credential = await navigator.credentials.create({publicKey: options});
      const r = credential.response;
      const answer = await post(section.dataset.register, {
        name: document.getElementById("passkey-name").value,
        credential: {
          id: credential.id, rawId: b64.encode(credential.rawId), type: credential.type,
          response: {
            clientDataJSON: b64.encode(r.clientDataJSON),
            attestationObject: b64.encode(r.attestationObject),
            transports: r.getTransports ? r.getTransports() : [],
          },
          clientExtensionResults: credential.getClientExtensionResults(),
        },
      });
      if (!answer.codes || !answer.codes.length) { window.location.reload(); return; }
      // A first second factor: its recovery codes, shown once, before going on.
      const box = document.getElementById("passkey-codes");
      const list = box.querySelector("ul");
      answer.codes.forEach((code) => {
        const item = document.createElement("li");
        const text = document.createElement("code");
        text.textContent = code;
        item.appendChild(text);
        list.appendChild(item);
      });
      box.hidden = false;
      box.querySelector("a").focus();
    } catch (error) { fail(error); }
  });
  const use = document.getElementById("passkey-login-button");
  if (use) use.addEventListener("click", async () => {
    const section = document.getElementById("passkey-login");
    try {
      const options = await post(section.dataset.options);
      options.challenge = b64.decode(options.challenge);
      (options.allowCredentials || []).forEach((c) => { c.id = b64.decode(c.id); });
      const credential = await navigator.credentials.get({publicKey: options});
      const r = credential.response;
      const answer = await post(section.dataset.verify, {
        next: section.dataset.next,
        credential: {
          id: credential.id, rawId: b64.encode(credential.rawId), type: credential.type,
          response: {
            clientDataJSON: b64.encode(r.clientDataJSON),
            authenticatorData: b64.encode(r.authenticatorData),
            signature: b64.encode(r.signature),
            userHandle: r.userHandle ? b64.encode(r.userHandle) : null,
          },
          clientExtensionResults: credential.getClientExtensionResults(),
        },
      });
      window.location.assign(answer.next || "/");
    } catch (error) { fail(error); }
  });
})();
