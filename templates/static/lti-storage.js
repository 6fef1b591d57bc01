/*
 * LTI Platform Storage (1EdTech "Client Side postMessages"), tool side. Inside an LMS iframe the
 * browser may keep no cookie for the tool, so the OIDC state and nonce are kept by the platform:
 *  - the login page stores them with lti.put_data, then goes to the platform's auth URL;
 *  - the launch page reads them back with lti.get_data and posts them with the id_token.
 * Answers are accepted only from the platform's origin.
 */
(function () {
  "use strict";

  var TIMEOUT_MS = 3000;

  function storageFrame(target) {
    if (target === "_parent") return window.parent;
    try {
      return window.parent.frames[target] || window.parent;
    } catch (error) {
      return window.parent;
    }
  }

  function ask(target, origin, message) {
    return new Promise(function (resolve, reject) {
      var id = "skarp-" + Math.random().toString(36).slice(2);
      var timer = window.setTimeout(function () { finish(new Error("timeout")); }, TIMEOUT_MS);
      function finish(error, value) {
        window.clearTimeout(timer);
        window.removeEventListener("message", onMessage);
        if (error) reject(error); else resolve(value);
      }
      function onMessage(event) {
        var data = event.data || {};
        if (event.origin !== origin || data.message_id !== id) return;
        if (data.subject !== message.subject + ".response") return;
        if (data.error) finish(new Error(data.error.message || data.error.code));
        else finish(null, data.value);
      }
      window.addEventListener("message", onMessage);
      message.message_id = id;
      storageFrame(target).postMessage(message, origin);
    });
  }

  var login = document.querySelector("[data-platform-storage-login]");
  if (login) {
    var d = login.dataset;
    Promise.all([
      ask(d.target, d.origin, { subject: "lti.put_data", key: "state_" + d.state, value: d.state }),
      ask(d.target, d.origin, { subject: "lti.put_data", key: "nonce_" + d.nonce, value: d.nonce })
    ]).then(function () {
      window.location.replace(d.authUrl);
    }, function () {
      window.location.replace(d.fallbackUrl);  // no platform storage after all: the cookie flow
    });
  }

  var launch = document.querySelector("form[data-platform-storage-launch]");
  if (launch) {
    var l = launch.dataset;
    Promise.all([
      ask(l.target, l.origin, { subject: "lti.get_data", key: "state_" + l.state }),
      ask(l.target, l.origin, { subject: "lti.get_data", key: "nonce_" + l.nonce })
    ]).then(function (values) {
      launch.elements.lti_storage_state.value = values[0];
      launch.elements.lti_storage_nonce.value = values[1];
      launch.submit();
    }, function (error) {
      launch.querySelector('[data-role="storage-status"]').textContent =
        "Skarp could not confirm this launch with your LMS (" + error.message + "). Open the activity again.";
    });
  }
})();
