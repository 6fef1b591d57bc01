/*
 * Skarp SCORM 1.2 runtime: talks to the LMS's API object for one SCO session.
 *
 * Practice it follows (ADL's SCORM 1.2 RTE and what Moodle's player expects):
 *  - find the API through the window.parent chain, then the opener's chain (popup launches);
 *  - LMSInitialize once; LMSCommit after every change the page reports, on a timer, and again
 *    after a refused commit: a learner may leave at any moment, and Chromium refuses the
 *    synchronous XHR that Moodle's player sends while a page is being dismissed, so nothing may
 *    wait for `pagehide`;
 *  - LMSFinish once: from the page's "Save and exit" while it is alive, else from `pagehide` as
 *    a last resort (Moodle's player and iOS Safari don't deliver `unload`);
 *  - check LMSGetLastError after every call and keep going when the LMS refuses a value;
 *  - with no API the page still works, in preview mode, and says so.
 * No dependencies, no network: everything stays inside the package.
 */
(function (global) {
  "use strict";

  var MAX_PARENT_HOPS = 500;

  function findApiInChain(win) {
    for (var hops = 0; win && hops <= MAX_PARENT_HOPS; hops++) {
      try {
        if (win.API) return win.API;
      } catch (crossOrigin) {
        return null; // a cross-origin frame ends the chain we may search
      }
      if (!win.parent || win.parent === win) break;
      win = win.parent;
    }
    return null;
  }

  function findApi(win) {
    var api = findApiInChain(win);
    var opener = null;
    try {
      opener = win.top && win.top.opener;
    } catch (crossOrigin) {
      opener = null;
    }
    if (!api && opener) api = findApiInChain(opener);
    if (!api && win.opener && win.opener !== opener) api = findApiInChain(win.opener);
    return api;
  }

  function pad(number, width) {
    var text = String(number);
    while (text.length < width) text = "0" + text;
    return text;
  }

  /** CMITimespan: HHHH:MM:SS with 2 to 4 hour digits (capped at 9999 hours). */
  function timespan(milliseconds) {
    var seconds = Math.max(0, Math.floor(milliseconds / 1000));
    var hours = Math.min(9999, Math.floor(seconds / 3600));
    var minutes = Math.floor((seconds % 3600) / 60);
    return pad(hours, 2) + ":" + pad(minutes, 2) + ":" + pad(seconds % 60, 2);
  }

  /** CMITime: the time of day, HH:MM:SS. */
  function timeOfDay(date) {
    return pad(date.getHours(), 2) + ":" + pad(date.getMinutes(), 2) + ":" + pad(date.getSeconds(), 2);
  }

  var COMPLETE = { passed: true, completed: true, failed: true };
  /** Waits before retrying a refused commit; then the regular commit timer takes over. */
  var RETRY_DELAYS_MS = [1000, 3000, 10000, 30000];

  /**
   * options: window (where to look for the API), commitIntervalSeconds (timed commits, default 60),
   * exitWhileIncomplete ("suspend" or ""), beforeCommit (called first, to write the latest progress),
   * onCommit(ok) (told whether each commit reached the LMS).
   */
  function Runtime(options) {
    options = options || {};
    this.api = findApi(options.window || global);
    this.preview = !this.api;
    this.started = Date.now();
    this.initialized = false;
    this.finished = false;
    this.errors = [];
    this.status = "not attempted";
    this.entry = "";
    this.location = "";
    this.suspendData = "";
    this.masteryScore = null;
    this.lmsMasteryScore = null;
    this.scoreRaw = "";
    this.exitWhileIncomplete = options.exitWhileIncomplete === "" ? "" : "suspend";
    this.commitIntervalMs = 1000 * (options.commitIntervalSeconds || 60);
    this.beforeCommit = options.beforeCommit || function () {};
    this.onCommit = options.onCommit || function () {};
    this.exitWritten = null; // the cmi.core.exit value this session wrote last (written once per change)
    this.interactionCount = 0; // the SCO's own counter, for LMSs without cmi.interactions._count
    this.pendingRetry = null;
    this.retries = 0;
    this.timer = null;
  }

  Runtime.prototype._check = function (call, element) {
    var code = String(this.api.LMSGetLastError());
    if (code === "0" || code === "") return true;
    var message = String(this.api.LMSGetErrorString(code) || "");
    var diagnostic = String(this.api.LMSGetDiagnostic(code) || "");
    var error = { call: call, element: element || "", code: code, message: message, diagnostic: diagnostic };
    this.errors.push(error);
    if (global.console) global.console.warn("SCORM " + call + " " + (element || "") + " failed: " + code + " " + message);
    return false;
  };

  /** LMSInitialize and read what the LMS knows of this learner; false in preview mode or on refusal. */
  Runtime.prototype.initialize = function (defaultMasteryScore) {
    this.masteryScore = defaultMasteryScore;
    if (this.preview || this.initialized) return this.initialized;
    var result = String(this.api.LMSInitialize(""));
    if (result !== "true") {
      this._check("LMSInitialize");
      this.preview = true;
      return false;
    }
    this.initialized = true;
    this.status = this.get("cmi.core.lesson_status") || "not attempted";
    this.entry = this.get("cmi.core.entry");
    this.location = this.get("cmi.core.lesson_location");
    this.suspendData = this.get("cmi.suspend_data");
    this.scoreRaw = this.get("cmi.core.score.raw");
    var lmsMastery = parseFloat(this.get("cmi.student_data.mastery_score"));
    if (!isNaN(lmsMastery) && lmsMastery >= 0 && lmsMastery <= 100) this.lmsMasteryScore = lmsMastery;
    return true;
  };

  /** Timed commits from now on (the learner may leave at any moment; pagehide is only a last resort). */
  Runtime.prototype.startTimedCommits = function () {
    if (!this.initialized || this.timer) return;
    var self = this;
    this.timer = global.setInterval(function () {
      self.beforeCommit();
      self.commit();
    }, this.commitIntervalMs);
  };

  Runtime.prototype.get = function (element) {
    if (!this.initialized || this.finished) return "";
    var value = this.api.LMSGetValue(element);
    // Reading an element the LMS doesn't keep (e.g. mastery_score) is an error we can ignore.
    var code = String(this.api.LMSGetLastError());
    return code === "0" || code === "" ? String(value == null ? "" : value) : "";
  };

  Runtime.prototype.set = function (element, value) {
    if (!this.initialized || this.finished) return false;
    var result = String(this.api.LMSSetValue(element, String(value)));
    return this._check("LMSSetValue", element) && result === "true";
  };

  /**
   * Session time so far, then LMSCommit. A refused commit (network, LMS, page dismissal) is retried
   * after 1, 3, 10 and 30 seconds, then by the regular timer; every commit sends everything, so a
   * later success makes up for the failures.
   */
  Runtime.prototype.commit = function () {
    if (!this.initialized || this.finished) return false;
    this.set("cmi.core.session_time", timespan(Date.now() - this.started));
    var ok = String(this.api.LMSCommit("")) === "true";
    ok = this._check("LMSCommit") && ok;
    if (this.pendingRetry) {
      global.clearTimeout(this.pendingRetry);
      this.pendingRetry = null;
    }
    if (ok) {
      this.retries = 0;
    } else if (this.retries < RETRY_DELAYS_MS.length) {
      var self = this;
      this.pendingRetry = global.setTimeout(function () {
        self.pendingRetry = null;
        self.beforeCommit();
        self.commit();
      }, RETRY_DELAYS_MS[this.retries++]);
    }
    this.onCommit(ok);
    return ok;
  };

  Runtime.prototype.isComplete = function () {
    return COMPLETE[this.status] === true;
  };

  /** cmi.core.exit: written when its value changes, never twice in a row. */
  Runtime.prototype.setExit = function (value) {
    if (value === this.exitWritten) return;
    if (this.set("cmi.core.exit", value)) this.exitWritten = value;
  };

  Runtime.prototype._exitForStatus = function () {
    return this.status === "incomplete" ? this.exitWhileIncomplete : "";
  };

  /** Set lesson_status when it changed, and the exit that goes with it (written once per session, then on change). */
  Runtime.prototype.setStatus = function (status) {
    if (status !== this.status) {
      this.status = status;
      this.set("cmi.core.lesson_status", status);
    }
    this.setExit(this._exitForStatus());
  };

  /** Score 0-100 is set before the status, as LMSs that derive status from score expect. */
  Runtime.prototype.setScore = function (raw) {
    var value = String(Math.round(raw));
    if (value === this.scoreRaw) return;
    this.scoreRaw = value;
    this.set("cmi.core.score.min", "0");
    this.set("cmi.core.score.max", "100");
    this.set("cmi.core.score.raw", value);
  };

  Runtime.prototype.saveProgress = function (location, suspendData) {
    if (location !== this.location) this.set("cmi.core.lesson_location", location);
    if (suspendData !== this.suspendData) this.set("cmi.suspend_data", suspendData);
    this.location = location;
    this.suspendData = suspendData;
  };

  /**
   * Journal one answer as cmi.interactions.n: n is the LMS's cmi.interactions._count when it gives
   * one, else the SCO's own counter (kept in suspend_data across sessions by the page).
   * interaction = {id, type, response, correctResponse, correct, startedAt}
   */
  Runtime.prototype.recordInteraction = function (interaction) {
    if (!this.initialized || this.finished) return false;
    var count = parseInt(this.get("cmi.interactions._count"), 10);
    var index = isNaN(count) || count < 0 ? this.interactionCount : count;
    this.interactionCount = index + 1;
    var prefix = "cmi.interactions." + index + ".";
    var now = new Date();
    var ok = this.set(prefix + "id", interaction.id);
    ok = this.set(prefix + "type", interaction.type) && ok;
    ok = this.set(prefix + "time", timeOfDay(now)) && ok;
    ok = this.set(prefix + "weighting", "1") && ok;
    ok = this.set(prefix + "student_response", interaction.response) && ok;
    ok = this.set(prefix + "correct_responses.0.pattern", interaction.correctResponse) && ok;
    ok = this.set(prefix + "result", interaction.correct ? "correct" : "wrong") && ok;
    ok = this.set(prefix + "latency", timespan(now.getTime() - interaction.startedAt)) && ok;
    return ok;
  };

  /** Session time, exit (if it changed) and LMSFinish: exactly once per page life. */
  Runtime.prototype.finish = function () {
    if (!this.initialized || this.finished) return;
    if (this.timer) global.clearInterval(this.timer);
    if (this.pendingRetry) global.clearTimeout(this.pendingRetry);
    this.timer = this.pendingRetry = null;
    this.setExit(this._exitForStatus());
    this.set("cmi.core.session_time", timespan(Date.now() - this.started));
    this.finished = true;
    var result = String(this.api.LMSFinish(""));
    if (result !== "true") this._check("LMSFinish");
    return result === "true";
  };

  global.SkarpScorm = { Runtime: Runtime, timespan: timespan, findApi: findApi };
})(window);
