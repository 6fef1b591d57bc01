// Sandbox LMS behaviour, kept out of the pages so they carry no inline script.
"use strict";

// Launch and sign-in hand-offs post themselves; without JavaScript the visible Continue button does it.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());

// Times: the server writes <time datetime="ISO"> with the UTC time as text, readable without JavaScript;
// here each becomes the viewer's local date and time (their locale and time zone), and the UTC text moves
// to the title, so hovering still shows what the LMS stored.
const localTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
document.querySelectorAll("time[datetime]").forEach((element) => {
  const moment = new Date(element.getAttribute("datetime"));
  if (Number.isNaN(moment.getTime())) return;
  element.title = element.textContent.trim();
  element.textContent = localTime.format(moment);
});

// Dynamic Registration opens the tool's page in a popup named "registration"; when the tool posts
// {subject: "org.imsglobal.lti.close"} to its opener, the home page closes it and reloads to show the tool.
let registrationWindow = null;
document.querySelectorAll("form[data-registration]").forEach((form) => {
  form.addEventListener("submit", () => {
    registrationWindow = window.open("", "registration", "popup,width=960,height=760");
  });
});

if (document.body.dataset.listenRegistration === "true") {
  window.addEventListener("message", (event) => {
    if (event.data && event.data.subject === "org.imsglobal.lti.close") {
      if (registrationWindow && !registrationWindow.closed) {
        registrationWindow.close();
      }
      window.location.reload();
    }
  });
}

// LTI Platform Storage (1EdTech "Client Side postMessages"): a tool in the launch frame that cannot
// keep cookies stores its OIDC state here with lti.put_data and reads it back with lti.get_data.
// Values are kept per tool origin, for the life of this page.
if (document.querySelector("iframe[name='tool-frame']")) {
  const platformStorage = new Map();
  window.addEventListener("message", (event) => {
    const data = event.data || {};
    if (typeof data !== "object" || !event.source) return;
    const reply = (payload) => event.source.postMessage(payload, event.origin);
    const slot = `${event.origin}\n${data.key}`;
    if (data.subject === "lti.capabilities") {
      reply({
        subject: "lti.capabilities.response",
        message_id: data.message_id,
        supported_messages: [{ subject: "lti.put_data" }, { subject: "lti.get_data" }],
      });
    } else if (data.subject === "lti.put_data") {
      platformStorage.set(slot, data.value);
      reply({ subject: "lti.put_data.response", message_id: data.message_id, key: data.key, value: data.value });
    } else if (data.subject === "lti.get_data") {
      const response = { subject: "lti.get_data.response", message_id: data.message_id, key: data.key };
      if (platformStorage.has(slot)) response.value = platformStorage.get(slot);
      else response.error = { code: "not_found", message: `No value stored for ${data.key}` };
      reply(response);
    }
  });
}

// lti.frameResize (what Canvas and others understand): the tool in the launch frame asks for the
// height of its content, as an object or (D2L, Sakai, older Canvas) the same as a JSON string. Only the
// launch frame's own window may resize it, and the height is kept within sane bounds.
const toolFrame = document.querySelector("iframe[name='tool-frame']");
if (toolFrame) {
  window.addEventListener("message", (event) => {
    if (event.source !== toolFrame.contentWindow) return;
    let data = event.data;
    if (typeof data === "string") {
      try { data = JSON.parse(data); } catch (error) { return; }
    }
    if (!data || data.subject !== "lti.frameResize") return;
    const height = Number(data.height);
    if (!Number.isFinite(height) || height <= 0) return;
    toolFrame.style.height = `${Math.min(Math.max(Math.round(height), 240), 50000)}px`;
  });
}
