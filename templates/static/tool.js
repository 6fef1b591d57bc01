/*
 * Skarp tool pages: progressive enhancements only (every page works without this script).
 *  - [data-autosubmit] forms post themselves (deep linking return to the LMS);
 *  - [data-registration-done] tells the LMS that Dynamic Registration finished;
 *  - [data-autosave] question forms save the answer as soon as it is chosen (one save at a time);
 *  - <time data-when> is shown in the learner's locale and time zone (Intl.DateTimeFormat), UTC in its title;
 *  - a spaced review card's "Show the answer" moves the focus to the answer it reveals;
 *  - the [data-role=flag] "Mark for review" toggle posts in place (without JavaScript it posts the form);
 *  - [data-role=timer] counts down, announces 10, 5 and 1 minutes left to screen readers, and
 *    says when time is up, then reloads so the server (which keeps the real clock) submits the attempt;
 *  - inside an LMS frame, the page tells the LMS its height (lti.frameResize) on load and whenever it
 *    changes, so the frame grows to the content instead of scrolling inside the course page.
 */
(function () {
  "use strict";

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });

  // lti.frameResize: Canvas reads the object form ({subject, height}); D2L, Sakai and older Canvas
  // versions read a JSON string, so both are sent. "*": the tool does not know the LMS page's origin
  // here, and the message carries nothing but a height.
  if (window.parent !== window) {
    var sentHeight = 0;
    var postHeight = function () {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (!height || height === sentHeight) return;
      sentHeight = height;
      var message = { subject: "lti.frameResize", height: height };
      window.parent.postMessage(message, "*");
      window.parent.postMessage(JSON.stringify(message), "*");
    };
    if (window.ResizeObserver) new ResizeObserver(postHeight).observe(document.documentElement);
    window.addEventListener("load", postHeight);
    postHeight();
  }

  if (document.querySelector("[data-registration-done]")) {
    var target = window.opener || (window.parent !== window ? window.parent : null);
    if (target) target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }

  // One save at a time, in the order chosen: arrow keys move through a radio group and choose every
  // option they pass, so a keyboard user's A -> D fires three saves, which must not land out of order.
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var status = form.querySelector('[data-role="save-status"]');
    var queue = Promise.resolve();
    var latest = 0;
    form.querySelectorAll('input[type="radio"]').forEach(function (input) {
      input.addEventListener("change", function () {
        var body = new FormData(form);
        body.set("go", "stay");
        var ticket = ++latest;
        status.textContent = "Saving…";
        queue = queue.then(function () {
          if (ticket !== latest) return null; // a later choice replaces this one: save only that
          return fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin" })
            .then(function (response) {
              if (!response.ok) throw new Error(String(response.status));
              if (ticket === latest) status.textContent = "Answer saved.";
            })
            .catch(function () {
              if (ticket === latest) status.textContent = "Not saved yet: use the Save button.";
            });
        });
      });
    });
  });

  document.querySelectorAll("time[data-when]").forEach(function (el) {
    var at = new Date(el.getAttribute("datetime"));
    if (isNaN(at.getTime()) || typeof Intl === "undefined") return;
    var dateOnly = el.getAttribute("data-when") === "date";
    var options = dateOnly ? { dateStyle: "medium" } : { dateStyle: "medium", timeStyle: "short" };
    el.title = el.textContent.trim().indexOf("UTC") >= 0 ? el.textContent.trim() : el.textContent.trim() + " (UTC)";
    el.textContent = new Intl.DateTimeFormat(undefined, options).format(at);
  });

  document.querySelectorAll('details[data-role="reveal"]').forEach(function (details) {
    details.addEventListener("toggle", function () {
      var back = details.querySelector(".back");
      if (details.open && back) back.focus();
    });
  });

  // "Mark for review": the same post as without JavaScript, in place; the page then shows the new state.
  document.querySelectorAll('button[data-role="flag"]').forEach(function (flag) {
    var form = flag.form;
    var status = form.querySelector('[data-role="save-status"]');
    var current = document.querySelector('.question-nav a[aria-current="step"]');
    flag.addEventListener("click", function (event) {
      event.preventDefault();
      var body = new FormData(form);
      body.set("flag", flag.value);
      fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          flag.setAttribute("aria-pressed", data.flagged ? "true" : "false");
          flag.value = data.flagged ? "off" : "on";
          status.textContent = data.flagged ? "Marked for review." : "No longer marked for review.";
          if (current) current.classList.toggle("flagged", data.flagged);
        })
        .catch(function () { form.requestSubmit(flag); }); // the server decides, the plain way
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
        // Announce first, and reload a moment later: a screen reader gets time to speak, and a server
        // whose clock is a little behind is past the deadline by then (no reload loop).
        announce.textContent = "Time is up. Your attempt is being submitted.";
        window.setTimeout(function () { window.location.reload(); }, 2000);
        return;
      }
      window.setTimeout(tick, 1000);
    };
    tick();
  }
})();
