// Sandbox LMS behaviour, kept out of the pages so they carry no inline script.
"use strict";

// Launch and sign-in hand-offs post themselves; without JavaScript the visible Continue button does it.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());

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
