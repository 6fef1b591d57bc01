/*
 * Skarp pass rule, as counts: a knowledge check is passed when correct >= needed. The builder computes
 * `needed` for the package's pass mark with the server's own function (courseware.assessment
 * .correct_needed: the fewest correct answers c with c / total >= pass mark, in exact fractions) and
 * writes it into the page, so the SCO and the LTI tool never disagree (2 of 3 against 0.67 fails in
 * both). Only when the LMS gives its own pass mark (1.2 mastery_score, 2004 scaled_passing_score) is
 * `needed` computed here, with the same exact rule on the decimal text the LMS wrote.
 * Pure JavaScript, no dependency.
 */
(function (global) {
  "use strict";

  /** A non-negative decimal text ("80", "0.67", "66.5") as an exact fraction {num, den}; null if not one. */
  function fraction(text) {
    var match = /^\s*\+?(\d*)(?:\.(\d*))?\s*$/.exec(String(text));
    if (!match || (match[1] + (match[2] || "")).length === 0) return null;
    var decimals = (match[2] || "").replace(/0+$/, "");
    if (decimals.length > 7) decimals = decimals.slice(0, 7); // SCORM reals carry at most 7 decimals
    var num = parseInt((match[1] || "0") + decimals, 10);
    return { num: num, den: Math.pow(10, decimals.length) };
  }

  /**
   * The fewest correct answers out of `total` that reach the pass mark text/per (per 100 for a
   * percentage, per 1 for a fraction): ceil(total * text / per), in integers.
   */
  function needed(total, text, per) {
    var mark = fraction(text);
    if (!mark) return total;
    var den = mark.den * (per || 1);
    return Math.min(total, Math.floor((total * mark.num + den - 1) / den));
  }

  function passes(correct, neededCount) {
    return correct >= neededCount;
  }

  global.SkarpPassRule = { fraction: fraction, needed: needed, passes: passes };
})(typeof window !== "undefined" ? window : globalThis);
