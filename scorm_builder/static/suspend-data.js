/*
 * Skarp suspend_data codec: what a SCO keeps of the learner's progress in cmi.suspend_data.
 *
 * Version 2 (compact, bounded by the package's structure, never by what the learner does; the
 * builder proves the worst case of every layout fits SCORM 1.2's 4,096 characters):
 *   2|<body>   or, when shorter,   2z<body, run-length compressed>
 *   body = visited|seen|answers|exercise[!]|flipped|tries|exerciseTries|interactions
 *     visited, seen, flipped: hex bitmasks (pages shown; pages done by the tracking rule; cards turned)
 *     answers: one char per quiz, a-d or -;  exercise: one char per step, a-z or -, "!" once checked
 *     tries, exerciseTries: the knowledge check's and the exercise's try number (base 36, >= 1)
 *     interactions: the SCO's own cmi.interactions counter (base 36), for LMSs without _count
 * Run-length compression: a run of 4 to 35 equal characters c becomes "~" c <length in base 36>;
 * "~" never occurs in a body. Version 1 (1|visited|answers|exercise[!]|flipped) is still read.
 * Pure JavaScript, no dependency.
 */
(function (global) {
  "use strict";

  var VERSION = "2";
  var MAX_COUNT = 46655; // "zzz": counters never take more than 3 characters

  function fresh(pageCount, quizCount, stepCount, cardCount) {
    function flags(n) { var list = []; for (var i = 0; i < n; i++) list.push(false); return list; }
    function blanks(n) { var list = []; for (var i = 0; i < n; i++) list.push(""); return list; }
    return {
      visited: flags(pageCount),
      seen: flags(pageCount),
      answers: blanks(quizCount),
      exercise: blanks(stepCount),
      exerciseChecked: false,
      flipped: flags(cardCount),
      tries: 1,
      exerciseTries: 1,
      interactions: 0
    };
  }

  function toHex(flags) {
    var hex = "";
    for (var i = 0; i < flags.length; i += 4) {
      var nibble = 0;
      for (var bit = 0; bit < 4; bit++) if (flags[i + bit]) nibble |= 1 << bit;
      hex += nibble.toString(16);
    }
    return hex;
  }

  function fromHex(hex, length) {
    var flags = [];
    for (var i = 0; i < length; i++) {
      var nibble = parseInt(hex.charAt(Math.floor(i / 4)) || "0", 16);
      flags.push(!isNaN(nibble) && (nibble & (1 << (i % 4))) !== 0);
    }
    return flags;
  }

  function chars(values) {
    return values.map(function (value) { return value || "-"; }).join("");
  }

  function fromChars(text, length, allowed) {
    var values = [];
    for (var i = 0; i < length; i++) {
      var c = text.charAt(i);
      values.push(allowed.test(c) ? c : "");
    }
    return values;
  }

  function count(value) {
    return Math.max(0, Math.min(MAX_COUNT, Math.floor(value) || 0)).toString(36);
  }

  function fromCount(text, minimum) {
    var value = parseInt(text, 36);
    return isNaN(value) || value < minimum ? minimum : Math.min(value, MAX_COUNT);
  }

  function compress(text) {
    var out = "";
    for (var i = 0; i < text.length; ) {
      var run = 1;
      while (i + run < text.length && run < 35 && text.charAt(i + run) === text.charAt(i)) run++;
      out += run >= 4 ? "~" + text.charAt(i) + run.toString(36) : text.substr(i, run);
      i += run;
    }
    return out;
  }

  function decompress(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      if (text.charAt(i) !== "~") {
        out += text.charAt(i);
        continue;
      }
      var run = parseInt(text.charAt(i + 2), 36);
      if (isNaN(run)) return null;
      for (var n = 0; n < run; n++) out += text.charAt(i + 1);
      i += 2;
    }
    return out;
  }

  function encode(state) {
    var body = [
      toHex(state.visited),
      toHex(state.seen),
      chars(state.answers),
      chars(state.exercise) + (state.exerciseChecked ? "!" : ""),
      toHex(state.flipped),
      count(state.tries),
      count(state.exerciseTries),
      count(state.interactions)
    ].join("|");
    var packed = compress(body);
    return packed.length < body.length ? VERSION + "z" + packed : VERSION + "|" + body;
  }

  /** The state kept in `text`, shaped like `template` (a fresh state); null when unknown or damaged. */
  function decode(text, template) {
    text = String(text || "");
    var body = null;
    var fields;
    if (text.slice(0, 2) === "2|") body = text.slice(2);
    else if (text.slice(0, 2) === "2z") body = decompress(text.slice(2));
    else if (text.slice(0, 2) === "1|") {
      fields = text.slice(2).split("|"); // version 1: visited|answers|exercise|flipped
      if (fields.length !== 4) return null;
      fields = [fields[0], "", fields[1], fields[2], fields[3], "1", "1", "0"];
    }
    if (body !== null) fields = body.split("|");
    if (!fields || fields.length !== 8) return null;
    var restored = fresh(template.visited.length, template.answers.length, template.exercise.length,
      template.flipped.length);
    restored.visited = fromHex(fields[0], restored.visited.length);
    restored.seen = fromHex(fields[1], restored.seen.length);
    restored.answers = fromChars(fields[2], restored.answers.length, /^[a-d]$/);
    restored.exercise = fromChars(fields[3], restored.exercise.length, /^[a-z]$/);
    restored.exerciseChecked = fields[3].charAt(fields[3].length - 1) === "!";
    restored.flipped = fromHex(fields[4], restored.flipped.length);
    restored.tries = fromCount(fields[5], 1);
    restored.exerciseTries = fromCount(fields[6], 1);
    restored.interactions = fromCount(fields[7], 0);
    return restored;
  }

  global.SkarpSuspend = {
    VERSION: VERSION, MAX_COUNT: MAX_COUNT, fresh: fresh, encode: encode, decode: decode,
    compress: compress, decompress: decompress
  };
})(window);
