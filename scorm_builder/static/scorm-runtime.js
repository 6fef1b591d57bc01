/*
 * Skarp SCORM runtime: talks to the LMS's API object for one SCO session, SCORM 1.2 (`API`) or
 * SCORM 2004 4th Edition (`API_1484_11`), through one code path: the Runtime below holds the
 * session's logic (when to commit, retry, write the exit, finish) and an adapter (SCORM12 or
 * SCORM2004 further down) knows the API's call names, element names and value formats.
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

  var MAX_PARENT_HOPS = 500;

  function findApiInChain(win, name) {
    for (var hops = 0; win && hops <= MAX_PARENT_HOPS; hops++) {
      try {
        if (win[name]) return win[name];
      } catch (crossOrigin) {
        return null; // a cross-origin frame ends the chain we may search
      }
      if (!win.parent || win.parent === win) break;
      win = win.parent;
    }
    return null;
  }

  function findApi(win, name) {
    name = name || "API";
    var api = findApiInChain(win, name);
    var opener = null;
    try {
      opener = win.top && win.top.opener;
    } catch (crossOrigin) {
      opener = null;
    }
    if (!api && opener) api = findApiInChain(opener, name);
    if (!api && win.opener && win.opener !== opener) api = findApiInChain(win.opener, name);
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

  /** SCORM 2004 timeinterval (ISO 8601 duration): PT#H#M#S. */
  function duration(milliseconds) {
    var seconds = Math.max(0, Math.floor(milliseconds / 1000));
    return "PT" + Math.floor(seconds / 3600) + "H" + Math.floor((seconds % 3600) / 60) + "M" + (seconds % 60) + "S";
  }

  /** SCORM 2004 time (second, 10, 0): local date and time, YYYY-MM-DDThh:mm:ss. */
  function timestamp(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1, 2) + "-" + pad(date.getDate(), 2) + "T" +
      timeOfDay(date);
  }

  /** correct / total as a SCORM 2004 real (10,7) in [0, 1]. */
  function scaled(correct, total) {
    return String(Math.round((1e7 * correct) / total) / 1e7);
  }

  // --- adapters: one per API; the Runtime calls only these --------------------------------------

  var SCORM12 = {
    version: "1.2",
    apiName: "API",
    calls: {
      initialize: "LMSInitialize", terminate: "LMSFinish", get: "LMSGetValue", set: "LMSSetValue",
      commit: "LMSCommit", lastError: "LMSGetLastError", errorString: "LMSGetErrorString",
      diagnostic: "LMSGetDiagnostic"
    },
    elements: {
      entry: "cmi.core.entry", location: "cmi.core.lesson_location", suspendData: "cmi.suspend_data",
      exit: "cmi.core.exit", sessionTime: "cmi.core.session_time", scoreRaw: "cmi.core.score.raw"
    },
    sessionTime: timespan,
    readStatus: function (rt) {
      return rt.get("cmi.core.lesson_status") || "not attempted";
    },
    readPassMark: function (rt) {
      var text = rt.get("cmi.student_data.mastery_score");
      var value = parseFloat(text);
      return !isNaN(value) && value >= 0 && value <= 100 ? { text: text, per: 100 } : null;
    },
    exitValue: function (value) { return value; },
    writeStatus: function (rt, status) { rt.set("cmi.core.lesson_status", status); },
    writeScore: function (rt, raw) {
      rt.set("cmi.core.score.min", "0");
      rt.set("cmi.core.score.max", "100");
      rt.set("cmi.core.score.raw", raw);
    },
    writeInteraction: function (rt, prefix, interaction, now) {
      var ok = rt.set(prefix + "id", interaction.id);
      ok = rt.set(prefix + "type", interaction.type) && ok;
      ok = rt.set(prefix + "time", timeOfDay(now)) && ok;
      ok = rt.set(prefix + "weighting", "1") && ok;
      ok = rt.set(prefix + "student_response", interaction.response) && ok;
      ok = rt.set(prefix + "correct_responses.0.pattern", interaction.correctResponse) && ok;
      ok = rt.set(prefix + "result", interaction.correct ? "correct" : "wrong") && ok;
      ok = rt.set(prefix + "latency", timespan(now.getTime() - interaction.startedAt)) && ok;
      return ok;
    },
    writeObjective: null, // 1.2 packages report what they always reported
    writeNavigation: null
  };

  /** 1.2 notation ("1.a,2.c") to 2004's for matching ("1[.]a[,]2[.]c"); other types unchanged. */
  function response2004(type, response) {
    if (type !== "matching") return response;
    return String(response).split(",").map(function (pair) { return pair.split(".").join("[.]"); }).join("[,]");
  }

  /** The 2004 pair a status word stands for: [completion_status, success_status]. */
  var STATUS_2004 = {
    "not attempted": ["not attempted", "unknown"],
    incomplete: ["incomplete", "unknown"],
    completed: ["completed", "unknown"],
    passed: ["completed", "passed"],
    failed: ["completed", "failed"]
  };

  var SCORM2004 = {
    version: "2004",
    apiName: "API_1484_11",
    calls: {
      initialize: "Initialize", terminate: "Terminate", get: "GetValue", set: "SetValue", commit: "Commit",
      lastError: "GetLastError", errorString: "GetErrorString", diagnostic: "GetDiagnostic"
    },
    elements: {
      entry: "cmi.entry", location: "cmi.location", suspendData: "cmi.suspend_data", exit: "cmi.exit",
      sessionTime: "cmi.session_time", scoreRaw: "cmi.score.raw"
    },
    sessionTime: duration,
    readStatus: function (rt) {
      var success = rt.get("cmi.success_status");
      var completion = rt.get("cmi.completion_status");
      rt.written2004 = [completion || "unknown", success || "unknown"];
      if (success === "passed" || success === "failed") return success;
      if (completion === "completed" || completion === "incomplete") return completion;
      return "not attempted";
    },
    readPassMark: function (rt) {
      var text = rt.get("cmi.scaled_passing_score");
      var value = parseFloat(text);
      return !isNaN(value) && value >= 0 && value <= 1 ? { text: text, per: 1 } : null;
    },
    exitValue: function (value) { return value === "" ? "normal" : value; },
    writeStatus: function (rt, status) {
      var pair = STATUS_2004[status] || STATUS_2004.incomplete;
      var written = rt.written2004 || ["unknown", "unknown"];
      if (pair[0] !== written[0]) rt.set("cmi.completion_status", pair[0]);
      if (pair[1] !== written[1]) rt.set("cmi.success_status", pair[1]);
      rt.written2004 = pair;
    },
    writeScore: function (rt, raw, correct, total) {
      rt.set("cmi.score.min", "0");
      rt.set("cmi.score.max", "100");
      rt.set("cmi.score.raw", raw);
      rt.set("cmi.score.scaled", total > 0 ? scaled(correct, total) : String(Number(raw) / 100));
    },
    writeInteraction: function (rt, prefix, interaction, now) {
      var ok = rt.set(prefix + "id", interaction.id);
      ok = rt.set(prefix + "type", interaction.type) && ok;
      if (interaction.objective) ok = rt.set(prefix + "objectives.0.id", interaction.objective) && ok;
      ok = rt.set(prefix + "timestamp", timestamp(now)) && ok;
      ok = rt.set(prefix + "weighting", "1") && ok;
      ok = rt.set(prefix + "learner_response", response2004(interaction.type, interaction.response)) && ok;
      ok = rt.set(prefix + "correct_responses.0.pattern",
        response2004(interaction.type, interaction.correctResponse)) && ok;
      ok = rt.set(prefix + "result", interaction.correct ? "correct" : "incorrect") && ok;
      ok = rt.set(prefix + "latency", duration(now.getTime() - interaction.startedAt)) && ok;
      return ok;
    },
    /** cmi.objectives.n for the course objective `id`: the LMS's n when it knows the id, else the next. */
    writeObjective: function (rt, id, result) {
      if (!rt.objectiveIndex) {
        rt.objectiveIndex = {};
        var count = parseInt(rt.get("cmi.objectives._count"), 10) || 0;
        for (var n = 0; n < count; n++) rt.objectiveIndex[rt.get("cmi.objectives." + n + ".id")] = n;
        rt.objectiveCount = count;
      }
      var index = rt.objectiveIndex[id];
      var prefix;
      if (index === undefined) {
        index = rt.objectiveIndex[id] = rt.objectiveCount++;
        prefix = "cmi.objectives." + index + ".";
        rt.set(prefix + "id", id);
      }
      prefix = "cmi.objectives." + index + ".";
      if (result.total > 0) rt.set(prefix + "score.scaled", scaled(result.correct, result.total));
      var done = result.passed === true || result.passed === false;
      rt.set(prefix + "completion_status", done ? "completed" : "incomplete");
      rt.set(prefix + "success_status", done ? (result.passed ? "passed" : "failed") : "unknown");
    },
    writeNavigation: function (rt, request) { rt.set("adl.nav.request", request); }
  };

  var ADAPTERS = { "1.2": SCORM12, "2004": SCORM2004 };

  /** The API and its adapter: the preferred version's API first, then the other one. */
  function connect(win, preferred) {
    var order = preferred === "2004" ? [SCORM2004, SCORM12] : [SCORM12, SCORM2004];
    for (var i = 0; i < order.length; i++) {
      var api = findApi(win, order[i].apiName);
      if (api) return { api: api, adapter: order[i] };
    }
    return { api: null, adapter: order[0] };
  }

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

  global.SkarpScorm = {
    Runtime: Runtime, timespan: timespan, duration: duration, findApi: findApi, adapters: ADAPTERS
  };
})(window);
