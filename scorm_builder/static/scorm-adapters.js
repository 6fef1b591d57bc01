/*
 * Skarp SCORM API adapters: finding the LMS's API object and speaking its dialect, one adapter per
 * SCORM version, for the one session logic in scorm-runtime.js (loaded after this file):
 *   SCORM12    `API`: LMSInitialize..., cmi.core.*, lesson_status, CMITimespan session times;
 *   SCORM2004  `API_1484_11` (4th Edition): Initialize..., completion and success status apart,
 *              ISO 8601 durations, scaled scores, learner objectives and adl.nav.request.
 *
 * What the Runtime calls on an adapter (both implement all of it; writeObjective and
 * writeNavigation are null where the version has no such element):
 *   version, apiName, calls{initialize, terminate, get, set, commit, lastError, errorString,
 *   diagnostic} (the API's function names), elements{entry, location, suspendData, exit,
 *   sessionTime, scoreRaw} (element names), sessionTime(ms), readStatus(rt), readPassMark(rt),
 *   exitValue(value), writeStatus(rt, status), writeScore(rt, raw, correct, total),
 *   writeInteraction(rt, prefix, interaction, now), writeObjective(rt, id, result),
 *   writeNavigation(rt, request)
 *
 * Sets window.SkarpScorm = {timespan, duration, findApi, adapters, connect}; scorm-runtime.js adds
 * Runtime. No dependencies, no network: everything stays inside the package.
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

  global.SkarpScorm = {
    timespan: timespan, duration: duration, findApi: findApi, adapters: ADAPTERS, connect: connect
  };
})(window);
