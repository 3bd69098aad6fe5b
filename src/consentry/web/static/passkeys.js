// Passkeys (ACCT-3): sign in with one, use one as the second step, add one to the account.
// The server hands out WebAuthn options as JSON (binary fields base64url) and checks the signed
// answer; this script only converts between JSON and what navigator.credentials takes and gives.
// Without WebAuthn in the browser, the passkey controls stay hidden and nothing else changes.
"use strict";
(function () {
  function toBytes(text) {
    var s = text.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function ids(list) {
    (list || []).forEach(function (c) { c.id = toBytes(c.id); });
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    ids(o.excludeCredentials);
    return o;
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    ids(o.allowCredentials);
    return o;
  }

  // The credential as the server reads it (the WebAuthn Level 3 JSON form).
  function credentialJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: { clientDataJSON: toText(r.clientDataJSON) },
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = toText(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toText(r.authenticatorData);
      out.response.signature = toText(r.signature);
      if (r.userHandle) out.response.userHandle = toText(r.userHandle);
    }
    return out;
  }

  // POST JSON with the CSRF header. A redirect means "sign in again first" (RecentUser): go there.
  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (r.redirected) {
        window.location.assign(r.url);
        return new Promise(function () {});
      }
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw { server: data.error ? data : { error: "error", error_description: "The server refused (" + r.status + "). Try again." } };
        return data;
      });
    });
  }

  function say(el, text, bad, link) {
    el.textContent = text;
    el.classList.toggle("bad", !!bad);
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      el.appendChild(a);
    }
  }

  function problem(err) {
    if (err && err.server) return err.server.error_description || "The passkey was refused.";
    var name = err && err.name;
    if (name === "NotAllowedError") return "Cancelled, or no passkey answered in time. Try again when you are ready.";
    if (name === "InvalidStateError") return "This passkey is already on your account.";
    if (name === "SecurityError") return "Passkeys need this site on HTTPS (or localhost).";
    if (name === "AbortError") return "Cancelled. Try again when you are ready.";
    return "Your browser could not use a passkey" + (err && err.message ? ": " + err.message : ".");
  }

  function setUpSignIn(box) {
    var button = box.querySelector("[data-passkey-go]");
    var msg = box.querySelector("[data-passkey-msg]");
    var csrf = box.getAttribute("data-csrf") || "";
    var step = box.getAttribute("data-step") || "";
    var second = step !== "";
    box.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(msg, second ? "Use your passkey or touch your security key\u2026" : "Choose your passkey\u2026");
      var ask = second ? { step: step } : { flow: box.getAttribute("data-flow") || "", next: box.getAttribute("data-next") || "" };
      post("/signin/passkey/options", csrf, ask).then(function (opt) {
        return navigator.credentials.get({ publicKey: requestOptions(opt.options) }).then(function (cred) {
          say(msg, "Checking\u2026");
          return post("/signin/passkey/finish", csrf, { step: opt.step, second: second, credential: credentialJSON(cred) });
        });
      }).then(function (done) {
        say(msg, "Signed in. One moment\u2026");
        window.location.assign(done.redirect);
      }).catch(function (err) {
        button.disabled = false;
        var restart = err && err.server && err.server.restart;
        say(msg, problem(err), true, restart ? { href: restart, text: "Start again" } : null);
      });
    });
  }

  function setUpAdd(form) {
    var msg = form.querySelector("[data-passkey-msg]");
    var button = form.querySelector("button[type=submit]");
    var name = form.querySelector("input[name=name]");
    var csrf = form.getAttribute("data-csrf") || "";
    form.hidden = false;
    document.querySelectorAll("[data-passkey-unsupported]").forEach(function (el) { el.hidden = true; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      say(msg, "Follow your browser\u2019s prompt to create the passkey\u2026");
      post("/account/passkeys/options", csrf, {}).then(function (opt) {
        return navigator.credentials.create({ publicKey: creationOptions(opt.options) }).then(function (cred) {
          say(msg, "Saving\u2026");
          return post("/account/passkeys", csrf, { step: opt.step, name: name.value, credential: credentialJSON(cred) });
        });
      }).then(function (done) {
        window.location.assign(done.redirect);
      }).catch(function (err) {
        button.disabled = false;
        say(msg, problem(err), true);
      });
    });
  }

  // Browsers make no passkey for a site reached by its IP address (it is no valid RP id).
  function namedHost() {
    var host = window.location.hostname;
    return !(/^[0-9.]+$/.test(host) || host.indexOf(":") >= 0 || host.charAt(0) === "[");
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PublicKeyCredential || !navigator.credentials || !namedHost()) return;
    document.querySelectorAll("[data-passkey-signin]").forEach(setUpSignIn);
    document.querySelectorAll("[data-passkey-add]").forEach(setUpAdd);
  });
})();
