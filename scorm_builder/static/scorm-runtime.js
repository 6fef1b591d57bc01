/*
 * Skarp SCORM 1.2 runtime: talks to the LMS's API object for one SCO session.
 *
 * Practice it follows (ADL's SCORM 1.2 RTE and what Moodle's player expects):
 *  - find the API through the window.parent chain, then the opener's chain (popup launches);
 *  - LMSInitialize once; LMSFinish once, from `pagehide` (Moodle's player and iOS Safari don't
 *    deliver `unload`); LMSCommit on every status change and when the page is hidden;
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

  function Runtime(options) {
    this.api = findApi(options && options.window ? options.window : global);
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
    this.scoreRaw = "";
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
    if (!isNaN(lmsMastery) && lmsMastery >= 0 && lmsMastery <= 100) this.masteryScore = lmsMastery;
    if (this.status === "not attempted" || this.status === "") this.setStatus("incomplete");
    return true;
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

  Runtime.prototype.commit = function () {
    if (!this.initialized || this.finished) return false;
    var result = String(this.api.LMSCommit(""));
    return this._check("LMSCommit") && result === "true";
  };

  Runtime.prototype.isComplete = function () {
    return COMPLETE[this.status] === true;
  };

  /** Set lesson_status (and exit to match), committing when it changed. */
  Runtime.prototype.setStatus = function (status) {
    if (status === this.status) return;
    this.status = status;
    this.set("cmi.core.lesson_status", status);
    this.set("cmi.core.exit", this.isComplete() ? "" : "suspend");
    this.commit();
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
    this.location = location;
    this.suspendData = suspendData;
    this.set("cmi.core.lesson_location", location);
    this.set("cmi.suspend_data", suspendData);
  };

  /**
   * Journal one answer as cmi.interactions.n (SCORM 1.2: n is the next free index).
   * interaction = {id, type, response, correctResponse, correct, startedAt}
   */
  Runtime.prototype.recordInteraction = function (interaction) {
    if (!this.initialized) return false;
    var count = parseInt(this.get("cmi.interactions._count"), 10);
    var prefix = "cmi.interactions." + (isNaN(count) ? 0 : count) + ".";
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

  /** Session time, exit and LMSFinish: exactly once per page life. */
  Runtime.prototype.finish = function () {
    if (!this.initialized || this.finished) return;
    this.set("cmi.core.session_time", timespan(Date.now() - this.started));
    this.set("cmi.core.exit", this.isComplete() ? "" : "suspend");
    this.commit();
    this.finished = true;
    var result = String(this.api.LMSFinish(""));
    if (result !== "true") this._check("LMSFinish");
  };

  global.SkarpScorm = { Runtime: Runtime, timespan: timespan, findApi: findApi };
})(window);
