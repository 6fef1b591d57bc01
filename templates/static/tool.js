/*
 * Skarp tool pages: progressive enhancements only (every page works without this script).
 *  - [data-autosubmit] forms post themselves (deep linking return to the LMS);
 *  - [data-registration-done] tells the LMS that Dynamic Registration finished;
 *  - [data-autosave] question forms save the answer as soon as it is chosen;
 *  - [data-role=timer] counts down, announces 10, 5 and 1 minutes left to screen readers, and
 *    reloads at zero so the server (which keeps the real clock) submits the attempt.
 */
(function () {
  "use strict";

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });

  if (document.querySelector("[data-registration-done]")) {
    var target = window.opener || (window.parent !== window ? window.parent : null);
    if (target) target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }

  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var status = form.querySelector('[data-role="save-status"]');
    form.querySelectorAll('input[type="radio"]').forEach(function (input) {
      input.addEventListener("change", function () {
        var body = new FormData(form);
        body.set("go", "stay");
        status.textContent = "Saving…";
        fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) throw new Error(String(response.status));
            status.textContent = "Answer saved.";
          })
          .catch(function () {
            status.textContent = "Not saved yet: use the Save button.";
          });
      });
    });
  });

  var timer = document.querySelector('[data-role="timer"]');
  if (timer) {
    var endsAt = Date.now() + 1000 * parseInt(timer.getAttribute("data-remaining"), 10);
    var text = timer.querySelector('[data-role="timer-text"]');
    var announce = timer.querySelector('[data-role="timer-announce"]');
    var announced = {};
    var tick = function () {
      var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      text.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      [10, 5, 1].forEach(function (mark) {
        if (left <= mark * 60 && left > 0 && !announced[mark]) {
          announced[mark] = true;
          announce.textContent = mark + (mark === 1 ? " minute" : " minutes") + " left.";
        }
      });
      if (left === 0) {
        announce.textContent = "Time is up. Your attempt is being submitted.";
        window.location.reload();
        return;
      }
      window.setTimeout(tick, 1000);
    };
    tick();
  }
})();
