/*
 * Skarp SCORM runtime: talks to the LMS's API object for one SCO session, SCORM 1.2 (`API`) or
 * SCORM 2004 4th Edition (`API_1484_11`), through one code path: the Runtime below holds the
 * session's logic (when to commit, retry, write the exit, finish) and an adapter (SCORM12 or
 * SCORM2004, in scorm-adapters.js, which the page loads first) knows the API's call names, element
 * names and value formats.
 *
 * The interface sco-app.js uses (cmi5-runtime.js implements the same one; add to it, never rename):
 *   new SkarpScorm.Runtime(options)  options: window (where to look for the API), version ("1.2" or
 *       "2004": whose API is looked for first; the other is the fallback), commitIntervalSeconds
 *       (timed commits, default 60), exitWhileIncomplete ("suspend" or ""), beforeCommit (called
 *       first, to write the latest progress), onCommit(ok) (told whether each commit reached the LMS)
 *   .initialize(defaultMasteryScore) -> bool   start the session and read what the LMS kept
 *   .preview, .initialized, .finished, .errors[{call, element, code, message, diagnostic}]
 *   .version ("1.2" or "2004", of the API found), .status ("not attempted", "incomplete",
 *       "completed", "passed", "failed": SCORM 1.2's lesson_status words, whatever the API),
 *   .entry ("ab-initio", "resume" or ""), .location, .suspendData (as the LMS gave them)
 *   .lmsMasteryScore (the LMS's pass mark in percent, or null), .lmsPassMark ({text, per}: the same
 *       exactly as the LMS wrote it, text/per being the fraction: {"80", 100} or {"0.8", 1}; or null)
 *   .interactionCount (the SCO's own interaction counter, for LMSs without cmi.interactions._count)
 *   .startTimedCommits(), .get(element), .set(element, value) (raw access, the API's own names)
 *   .commit() -> bool, .isComplete(), .setExit(value) ("suspend" or "": 2004 writes "" as "normal")
 *   .setStatus(status)          one of the status words above; 2004 writes completion_status and
 *                               success_status from it (passed/failed: completed + passed/failed)
 *   .setScore(percent, correct, total)   0-100 raw; 2004 adds score.scaled = correct / total
 *   .saveProgress(location, suspendData)
 *   .recordInteraction({id, type, response, correctResponse, correct, startedAt, objective})
 *                               type "choice" or "matching"; responses in SCORM 1.2 notation
 *                               ("b"; "1.a,2.c"), which the 2004 adapter rewrites ("1[.]a[,]2[.]c")
 *   .setObjective(id, {correct, total, passed})   a learner objective (2004 cmi.objectives.n, id =
 *                               the course's objective id; passed true/false/null); no-op in 1.2
 *   .requestNavigation(request) what the LMS does after this SCO ends ("continue", "exitAll",
 *                               "suspendAll"): 2004's adl.nav.request, written at finish; no-op in 1.2
 *   .finish() -> bool           exit, session time and Terminate/LMSFinish, once
 *   SkarpScorm.timespan(ms), SkarpScorm.findApi(window[, name])
 *
 * Practice it follows (ADL's SCORM 1.2 RTE and 2004 4th Edition RTE, and what Moodle's player expects):
 *  - find the API through the window.parent chain, then the opener's chain (popup launches);
 *  - Initialize once; Commit after every change the page reports, on a timer, and again after a
 *    refused commit: a learner may leave at any moment, and Chromium refuses the synchronous XHR
 *    that Moodle's player sends while a page is being dismissed, so nothing may wait for `pagehide`;
 *  - Terminate once: from the page's "Save and exit" while it is alive, else from `pagehide` as
 *    a last resort (Moodle's player and iOS Safari don't deliver `unload`);
 *  - check GetLastError after every call and keep going when the LMS refuses a value;
 *  - with no API the page still works, in preview mode, and says so.
 * No dependencies, no network: everything stays inside the package.
 */
(function (global) {
  "use strict";

  var SkarpScorm = global.SkarpScorm; // scorm-adapters.js: timespan, duration, findApi, adapters, connect
  var connect = SkarpScorm.connect;

  var COMPLETE = { passed: true, completed: true, failed: true };
  /** Waits before retrying a refused commit; then the regular commit timer takes over. */
  var RETRY_DELAYS_MS = [1000, 3000, 10000, 30000];

  function Runtime(options) {
    options = options || {};
    var found = connect(options.window || global, String(options.version || "1.2"));
    this.api = found.api;
    this.adapter = found.adapter;
    this.version = found.adapter.version;
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
    this.lmsPassMark = null;
    this.scoreRaw = "";
    this.exitWhileIncomplete = options.exitWhileIncomplete === "" ? "" : "suspend";
    this.commitIntervalMs = 1000 * (options.commitIntervalSeconds || 60);
    this.beforeCommit = options.beforeCommit || function () {};
    this.onCommit = options.onCommit || function () {};
    this.exitWritten = null; // the exit value this session wrote last (written once per change)
    this.interactionCount = 0; // the SCO's own counter, for LMSs without cmi.interactions._count
    this.objectivesWritten = {}; // id -> what was last written, so only changes reach the LMS
    this.navigationRequest = "";
    this.pendingRetry = null;
    this.retries = 0;
    this.timer = null;
  }

  Runtime.prototype._call = function (name, a, b) {
    return this.api[this.adapter.calls[name]](a, b);
  };

  Runtime.prototype._check = function (call, element) {
    var code = String(this._call("lastError"));
    if (code === "0" || code === "") return true;
    var message = String(this._call("errorString", code) || "");
    var diagnostic = String(this._call("diagnostic", code) || "");
    var name = this.adapter.calls[call] || call;
    var error = { call: name, element: element || "", code: code, message: message, diagnostic: diagnostic };
    this.errors.push(error);
    if (global.console) global.console.warn("SCORM " + name + " " + (element || "") + " failed: " + code + " " + message);
    return false;
  };

  /** Initialize and read what the LMS knows of this learner; false in preview mode or on refusal. */
  Runtime.prototype.initialize = function (defaultMasteryScore) {
    this.masteryScore = defaultMasteryScore;
    if (this.preview || this.initialized) return this.initialized;
    var result = String(this._call("initialize", ""));
    if (result !== "true") {
      this._check("initialize");
      this.preview = true;
      return false;
    }
    this.initialized = true;
    var elements = this.adapter.elements;
    this.status = this.adapter.readStatus(this);
    this.entry = this.get(elements.entry);
    this.location = this.get(elements.location);
    this.suspendData = this.get(elements.suspendData);
    this.scoreRaw = this.get(elements.scoreRaw);
    this.lmsPassMark = this.adapter.readPassMark(this);
    if (this.lmsPassMark) {
      var mark = parseFloat(this.lmsPassMark.text); // percent for display; 2004's fraction has <= 7 decimals
      this.lmsMasteryScore = this.lmsPassMark.per === 100 ? mark : Math.round(mark * 1e7) / 1e5;
    }
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
    var value = this._call("get", element);
    // Reading an element the LMS doesn't keep (e.g. mastery_score) is an error we can ignore.
    var code = String(this._call("lastError"));
    return code === "0" || code === "" ? String(value == null ? "" : value) : "";
  };

  Runtime.prototype.set = function (element, value) {
    if (!this.initialized || this.finished) return false;
    var result = String(this._call("set", element, String(value)));
    return this._check("set", element) && result === "true";
  };

  /**
   * Session time so far, then Commit. A refused commit (network, LMS, page dismissal) is retried
   * after 1, 3, 10 and 30 seconds, then by the regular timer; every commit sends everything, so a
   * later success makes up for the failures.
   */
  Runtime.prototype.commit = function () {
    if (!this.initialized || this.finished) return false;
    this.set(this.adapter.elements.sessionTime, this.adapter.sessionTime(Date.now() - this.started));
    var ok = String(this._call("commit", "")) === "true";
    ok = this._check("commit") && ok;
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

  /** The exit ("suspend" or ""): written when its value changes, never twice in a row. */
  Runtime.prototype.setExit = function (value) {
    if (value === this.exitWritten) return;
    if (this.set(this.adapter.elements.exit, this.adapter.exitValue(value))) this.exitWritten = value;
  };

  Runtime.prototype._exitForStatus = function () {
    return this.status === "incomplete" ? this.exitWhileIncomplete : "";
  };

  /** Set the status when it changed, and the exit that goes with it (written once per session, then on change). */
  Runtime.prototype.setStatus = function (status) {
    if (status !== this.status) {
      this.status = status;
      this.adapter.writeStatus(this, status);
    }
    this.setExit(this._exitForStatus());
  };

  /** Score 0-100 (and, from counts, 2004's scaled score) is set before the status, as LMSs that derive status from score expect. */
  Runtime.prototype.setScore = function (raw, correct, total) {
    var value = String(Math.round(raw));
    if (value === this.scoreRaw) return;
    this.scoreRaw = value;
    this.adapter.writeScore(this, value, correct, total);
  };

  Runtime.prototype.saveProgress = function (location, suspendData) {
    if (location !== this.location) this.set(this.adapter.elements.location, location);
    if (suspendData !== this.suspendData) this.set(this.adapter.elements.suspendData, suspendData);
    this.location = location;
    this.suspendData = suspendData;
  };

  /**
   * Journal one answer as cmi.interactions.n: n is the LMS's cmi.interactions._count when it gives
   * one, else the SCO's own counter (kept in suspend_data across sessions by the page).
   */
  Runtime.prototype.recordInteraction = function (interaction) {
    if (!this.initialized || this.finished) return false;
    var count = parseInt(this.get("cmi.interactions._count"), 10);
    var index = isNaN(count) || count < 0 ? this.interactionCount : count;
    this.interactionCount = index + 1;
    return this.adapter.writeInteraction(this, "cmi.interactions." + index + ".", interaction, new Date());
  };

  /** A learner objective's result (2004 only), written when it changed. */
  Runtime.prototype.setObjective = function (id, result) {
    if (!this.initialized || this.finished || !this.adapter.writeObjective) return;
    var key = [result.correct, result.total, result.passed].join("/");
    if (this.objectivesWritten[id] === key) return;
    this.objectivesWritten[id] = key;
    this.adapter.writeObjective(this, id, result);
  };

  /** What the LMS should do once this SCO ends (2004's adl.nav.request); written by finish(). */
  Runtime.prototype.requestNavigation = function (request) {
    this.navigationRequest = request || "";
  };

  /** Session time, exit (if it changed), navigation request and Terminate: exactly once per page life. */
  Runtime.prototype.finish = function () {
    if (!this.initialized || this.finished) return;
    if (this.timer) global.clearInterval(this.timer);
    if (this.pendingRetry) global.clearTimeout(this.pendingRetry);
    this.timer = this.pendingRetry = null;
    this.setExit(this._exitForStatus());
    this.set(this.adapter.elements.sessionTime, this.adapter.sessionTime(Date.now() - this.started));
    if (this.navigationRequest && this.adapter.writeNavigation) {
      this.adapter.writeNavigation(this, this.navigationRequest);
    }
    this.finished = true;
    var result = String(this._call("terminate", ""));
    if (result !== "true") this._check("terminate");
    return result === "true";
  };


  SkarpScorm.Runtime = Runtime;
})(window);
