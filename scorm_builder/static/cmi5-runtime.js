/*
 * Skarp cmi5 runtime: the SkarpScorm.Runtime interface sco-app.js uses (see scorm-runtime.js), over
 * cmi5 and xAPI instead of a SCORM API object. Loaded after cmi5.umd.js (@xapi/cmi5, window.Cmi5)
 * and cmi5-transport.js.
 *
 * The cmi5 launch is asynchronous (the fetch URL's auth token, LMS.LaunchData, the saved progress),
 * so this file runs it first and loads sco-app.js when it is done; with no cmi5 launch parameters
 * in the URL the page loads sco-app.js at once and works in preview mode.
 *
 * What reaches the LRS (the library builds the cmi5 statements; this file orders and sends them):
 *  - initialized (by Cmi5.initialize), then in the session: "experienced" for each page shown and
 *    "answered" for each answer (cmi5 allowed statements: the cmi.interaction types choice and
 *    matching), "passed" (score scaled/raw/min/max) at most once per registration, "completed"
 *    at most once per registration, "failed" at most once per session and never after "passed",
 *    sent at terminate so that a learner who retries and passes in the same session is not
 *    reported as failed first (cmi5 allows one of passed/failed per session);
 *  - terminated last, from "Save and exit" (then the page goes to LMS.LaunchData's returnURL, if
 *    any) or from pagehide as a last resort (the LMS records "abandoned" if even that is lost);
 *  - the progress (bookmark, suspend data, status, score) as a State API document, written after
 *    the statements it reflects, and read back on the next launch to resume.
 * Statements and the progress go through cmi5-transport.js (in order, retried; see its header).
 * In Browse and Review launch modes no completed/passed/failed statement is sent (cmi5 9.5.1).
 */
(function (global) {
  "use strict";

  var Cmi5 = global.Cmi5;
  var STATE_ID = "https://skarp.dev/xapi/state/progress";
  var EXPERIENCED = { id: "http://adlnet.gov/expapi/verbs/experienced", display: { "en-US": "experienced" } };
  var COMPLETE = { passed: true, completed: true, failed: true };
  var launch = { cmi5: null, transport: null, saved: null, error: null };

  function uuid() {
    var bytes = new Uint8Array(16);
    global.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  var Transport = global.SkarpCmi5Transport.Transport; // cmi5-transport.js
  var message = global.SkarpCmi5Transport.message;

  // --- the launch: library first, then our saved progress, then the page ---------------------

  // Where sco-app.js is: beside this file (document.currentScript is only set while this file runs).
  var OWN_SRC = document.currentScript ? document.currentScript.src : "assets/cmi5-runtime.js";

  // sco-app.js needs every script listed after this one (suspend-data, pass-rule, activities,
  // quizzes): they are deferred too, and run before DOMContentLoaded. A script inserted before
  // then could run first, so the app waits for it (this file is deferred: it has not fired yet).
  var documentReady = new Promise(function (resolve) {
    if (document.readyState === "complete") resolve();
    else document.addEventListener("DOMContentLoaded", resolve);
  });

  function loadApp() {
    documentReady.then(function () {
      var script = document.createElement("script");
      script.src = OWN_SRC.replace(/cmi5-runtime\.js(\?.*)?$/, "sco-app.js");
      document.head.appendChild(script);
    });
  }

  function readSavedProgress(cmi5) {
    var p = cmi5.launchParameters;
    return cmi5.xapi.getState({ agent: p.actor, activityId: p.activityId, stateId: STATE_ID, registration: p.registration })
      .then(function (response) {
        var data = response.data;
        if (typeof data === "string") data = JSON.parse(data);
        return data && typeof data === "object" ? data : null;
      }, function (error) {
        if (error && error.response && error.response.status === 404) return null; // a first launch
        throw error;
      });
  }

  function boot() {
    var app = loadApp;
    if (!Cmi5 || !Cmi5.isCmiAvailable) return app();
    var cmi5;
    try {
      cmi5 = new Cmi5();
    } catch (error) {
      launch.error = { call: "launch", element: "", code: "", message: message(error), diagnostic: "" };
      return app();
    }
    var transport = new Transport(cmi5, STATE_ID);
    // Every statement the library builds goes through the ordered queue.
    cmi5.sendXapiStatement = function (statement, options) {
      var final = options && typeof options.transform === "function" ? options.transform(statement) : statement;
      transport.add(final);
      transport.flush(false);
      return Promise.resolve([final.id]);
    };
    cmi5.initialize()
      .then(function () { return readSavedProgress(cmi5); })
      .then(function (saved) {
        launch.cmi5 = cmi5;
        launch.transport = transport;
        launch.saved = saved;
      }, function (error) {
        launch.error = { call: "launch", element: "", code: "", message: message(error), diagnostic: "" };
        if (global.console) global.console.warn("cmi5 launch failed: " + message(error));
      })
      .then(app);
  }

  // --- the runtime sco-app.js drives --------------------------------------------------------

  function Runtime(options) {
    options = options || {};
    this.cmi5 = launch.cmi5;
    this.transport = launch.transport;
    this.preview = !this.cmi5;
    this.started = Date.now();
    this.initialized = false;
    this.finished = false;
    this.errors = launch.error ? [launch.error] : [];
    this.status = "not attempted";
    this.entry = "";
    this.location = "";
    this.suspendData = "";
    this.masteryScore = null;
    this.lmsMasteryScore = null;
    this.lmsPassMark = null; // {text, per}: the LMS's masteryScore exactly as given ({"0.8", 1})
    this.scoreRaw = "";
    this.normal = false; // launchMode Normal: the only mode that may report completion and success
    this.returnURL = "";
    this.passed = false; // in this registration (kept in the progress document)
    this.completed = false;
    this.judged = false; // passed or failed sent in this session
    this.failPending = false;
    this.answeredThisSession = false;
    this.experienced = {};
    this.dirty = false;
    this.leaving = false;
    this.commitIntervalMs = 1000 * (options.commitIntervalSeconds || 60);
    this.beforeCommit = options.beforeCommit || function () {};
    this.onCommit = options.onCommit || function () {};
    this.interactionCount = 0;
    this.timer = null;
    var config = document.getElementById("sco-config");
    this.testId = config ? JSON.parse(config.textContent).sco : "sco";
    var self = this;
    // Registered before sco-app.js's own pagehide handler: its last commit and finish must not wait.
    global.addEventListener("pagehide", function () { self.leaving = true; });
    if (this.transport) this.transport.onResult = function (ok) { self.onCommit(ok); };
  }

  Runtime.prototype._error = function (call, error) {
    this.errors.push({ call: call, element: "", code: "", message: message(error), diagnostic: "" });
    if (global.console) global.console.warn("cmi5 " + call + " failed: " + message(error));
  };

  /** Read the launch data and the saved progress (already fetched); false in preview mode. */
  Runtime.prototype.initialize = function (defaultMasteryScore) {
    this.masteryScore = defaultMasteryScore;
    if (this.preview || this.initialized) return this.initialized;
    var data = this.cmi5.getLaunchData() || {};
    this.normal = data.launchMode === "Normal";
    this.returnURL = data.returnURL || "";
    var mastery = Number(data.masteryScore);
    if (data.masteryScore !== undefined && data.masteryScore !== null && mastery >= 0 && mastery <= 1) {
      this.lmsMasteryScore = Math.round(mastery * 10000) / 100;
      this.lmsPassMark = { text: String(data.masteryScore), per: 1 }; // pass-rule.js counts from it exactly
    }
    var saved = launch.saved;
    this.entry = saved ? "resume" : "ab-initio";
    if (saved) {
      this.location = String(saved.location || "");
      this.suspendData = String(saved.suspendData || "");
      this.status = String(saved.status || "not attempted");
      this.scoreRaw = saved.score === undefined || saved.score === null ? "" : String(saved.score);
      this.passed = saved.passed === true;
      this.completed = saved.completed === true;
    }
    this.initialized = true;
    return true;
  };

  Runtime.prototype.startTimedCommits = function () {
    if (!this.initialized || this.timer) return;
    var self = this;
    this.timer = global.setInterval(function () {
      self.beforeCommit();
      self.commit();
    }, this.commitIntervalMs);
  };

  Runtime.prototype.isComplete = function () {
    return COMPLETE[this.status] === true;
  };

  Runtime.prototype._score = function () {
    if (this.scoreRaw === "") return undefined;
    var raw = Number(this.scoreRaw);
    return { scaled: raw / 100, raw: raw, min: 0, max: 100 };
  };

  /** Run one library call that sends a cmi5 statement; a refusal (e.g. below the mastery score) is an error. */
  Runtime.prototype._send = function (call, send) {
    try {
      send();
      return true;
    } catch (error) {
      this._error(call, error);
      return false;
    }
  };

  Runtime.prototype._complete = function () {
    if (this.completed || !this.normal) return;
    var cmi5 = this.cmi5;
    if (this._send("completed", function () { cmi5.complete(); })) this.completed = true;
  };

  Runtime.prototype._pass = function () {
    if (this.passed || this.judged || !this.normal) return;
    var cmi5 = this.cmi5;
    var score = this._score();
    if (this._send("passed", function () { cmi5.pass(score); })) this.passed = this.judged = true;
  };

  Runtime.prototype._fail = function () {
    if (this.passed || this.judged || !this.normal) return;
    var cmi5 = this.cmi5;
    var score = this._score();
    if (this._send("failed", function () { cmi5.fail(score); })) this.judged = true;
  };

  Runtime.prototype.setScore = function (raw) {
    var value = String(Math.round(raw));
    if (value === this.scoreRaw) return;
    this.scoreRaw = value;
    this.dirty = true;
  };

  /** passed/failed/completed become statements (see the header); the status itself is kept in the progress. */
  Runtime.prototype.setStatus = function (status) {
    if (!this.initialized || this.finished) return;
    var changed = status !== this.status;
    this.status = status;
    if (changed) this.dirty = true;
    if (status === "passed") {
      this._pass();
      this._complete();
    } else if (status === "failed") {
      if (changed || this.answeredThisSession) this.failPending = true;
      this._complete();
    } else if (status === "completed") {
      this._complete();
    }
  };

  Runtime.prototype._experience = function (pageId) {
    if (this.experienced[pageId] || !pageId) return;
    this.experienced[pageId] = true;
    var p = this.cmi5.launchParameters;
    var context = JSON.parse(JSON.stringify(this.cmi5.getLaunchData().contextTemplate || {}));
    context.registration = p.registration;
    var heading = document.getElementById(pageId + "-title");
    var language = document.documentElement.lang || "en";
    var name = {};
    name[language] = heading ? heading.textContent.trim() : pageId;
    this.cmi5.sendXapiStatement({
      id: uuid(),
      actor: p.actor,
      verb: EXPERIENCED,
      object: {
        objectType: "Activity",
        id: p.activityId + "/page/" + encodeURIComponent(pageId),
        definition: { type: "http://adlnet.gov/expapi/activities/module", name: name }
      },
      context: context,
      timestamp: new Date().toISOString()
    });
  };

  Runtime.prototype.saveProgress = function (location, suspendData) {
    if (!this.initialized || this.finished) return;
    if (location !== this.location || suspendData !== this.suspendData) this.dirty = true;
    this.location = location;
    this.suspendData = suspendData;
    this._experience(location);
  };

  Runtime.prototype._progress = function () {
    return {
      location: this.location,
      suspendData: this.suspendData,
      status: this.status,
      score: this.scoreRaw === "" ? null : Number(this.scoreRaw),
      passed: this.passed,
      completed: this.completed
    };
  };

  /** Queue the progress document (when it changed) after the statements, and send. */
  Runtime.prototype.commit = function () {
    if (!this.initialized || this.finished) return false;
    if (this.dirty) {
      this.transport.state = this._progress();
      this.dirty = false;
    }
    this.transport.flush(this.leaving || document.visibilityState === "hidden");
    return this.transport.lastOk;
  };

  /** One answer as a cmi5 allowed "answered" statement: interaction = {id, type, response, correctResponse, correct, startedAt}. */
  Runtime.prototype.recordInteraction = function (interaction) {
    if (!this.initialized || this.finished) return false;
    this.interactionCount++;
    this.answeredThisSession = true;
    var cmi5 = this.cmi5;
    var testId = this.testId;
    var period = { start: new Date(interaction.startedAt), end: new Date() };
    var correct = interaction.correct;
    function pairs(text) {
      var map = {};
      String(text).split(",").forEach(function (pair) {
        var dot = pair.indexOf(".");
        if (dot > 0) map[pair.slice(0, dot)] = pair.slice(dot + 1);
      });
      return map;
    }
    return this._send("answered", function () {
      if (interaction.type === "choice") {
        cmi5.interactionChoice(testId, interaction.id, [interaction.response], [interaction.correctResponse],
          undefined, undefined, undefined, correct, period);
      } else if (interaction.type === "matching") {
        cmi5.interactionMatching(testId, interaction.id, pairs(interaction.response), pairs(interaction.correctResponse),
          undefined, undefined, undefined, undefined, correct, period);
      } else {
        cmi5.interactionOther(testId, interaction.id, String(interaction.response),
          String(interaction.correctResponse), undefined, undefined, correct, period);
      }
    });
  };

  /** failed (if this session failed and did not pass), terminated, the progress; then the returnURL. */
  /** SCORM 2004 learner objectives and navigation requests have no cmi5 counterpart: the AU's
   * objectives are declared in cmi5.xml and the LMS decides what comes next (moveOn). */
  Runtime.prototype.setObjective = function () {};
  Runtime.prototype.requestNavigation = function () {};

  Runtime.prototype.finish = function () {
    if (!this.initialized || this.finished) return false;
    if (this.timer) global.clearInterval(this.timer);
    this.timer = null;
    if (this.failPending && this.status === "failed") this._fail();
    var cmi5 = this.cmi5;
    this._send("terminated", function () { cmi5.terminate(); });
    this.transport.state = this._progress();
    this.finished = true;
    var returnURL = this.leaving ? "" : this.returnURL;
    if (returnURL) this.transport.onDrained = function () { global.location.assign(returnURL); };
    this.transport.flush(this.leaving || document.visibilityState === "hidden");
    return this.transport.lastOk;
  };

  global.SkarpScorm = { Runtime: Runtime, launch: launch };
  boot();
})(window);
