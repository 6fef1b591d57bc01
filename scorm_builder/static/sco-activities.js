/*
 * Skarp SCO page: the thought exercise and the flashcards (loaded before sco-app.js, which owns the
 * state, the LMS session and navigation; see its header).
 *
 * SkarpActivities.setup(config, ctx) wires whatever the page has and returns showExerciseFeedback
 * for a restored session. ctx: state() (the current state, replaced on restore), persist() (write
 * and commit), record(interaction), interactionId(id, tries), shownAt() (when the page was shown).
 */
(function (global) {
  "use strict";

  function setup(config, ctx) {
    var exercise = config.exercise || null;
    var flashcards = config.flashcards || null;

    // --- thought exercise --------------------------------------------------------------------

    function exerciseForm() {
      return document.querySelector('form[data-exercise="' + exercise.id + '"]');
    }

    function showExerciseFeedback() {
      var form = exerciseForm();
      var matched = 0;
      form.querySelectorAll("li.step").forEach(function (step, i) {
        var select = step.querySelector("select");
        select.value = ctx.state().exercise[i];
        select.disabled = true;
        var right = ctx.state().exercise[i] === exercise.answers[i];
        if (right) matched++;
        var mark = step.querySelector('[data-role="mark"]');
        // The words carry the verdict; the class shows the icon beside them (check or cross, exercise.html).
        mark.querySelector('[data-role="mark-text"]').textContent = right ? "Matches the reference" : "The reference says otherwise";
        mark.className = "mark " + (right ? "correct" : "wrong");
      });
      form.querySelector('[data-role="check"]').hidden = true;
      form.querySelector('[data-role="reveal-intro"]').hidden = true;
      var verdict = form.querySelector('[data-role="verdict"]');
      verdict.textContent = "You matched " + matched + " of " + exercise.answers.length + " steps with the reference mapping.";
      verdict.className = "verdict " + (matched === exercise.answers.length ? "correct" : "wrong");
      form.querySelector('[data-role="feedback"]').hidden = false;
    }

    function resetExercise() {
      var form = exerciseForm();
      form.querySelectorAll("li.step").forEach(function (step) {
        step.querySelector("select").disabled = false;
        var mark = step.querySelector('[data-role="mark"]');
        mark.querySelector('[data-role="mark-text"]').textContent = "";
        mark.className = "mark";
      });
      form.querySelector('[data-role="check"]').hidden = false;
      form.querySelector('[data-role="reveal-intro"]').hidden = false;
      form.querySelector('[data-role="feedback"]').hidden = true;
    }

    function pairs(letters) {
      return letters.map(function (letter, i) { return (i + 1) + "." + letter; }).join(",");
    }

    function wireExercise() {
      var form = exerciseForm();
      form.querySelectorAll("select").forEach(function (select, i) {
        if (ctx.state().exercise[i]) select.value = ctx.state().exercise[i];
        select.addEventListener("change", function () {
          ctx.state().exercise[i] = select.value;
          ctx.persist();
        });
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var state = ctx.state();
        var missing = [];
        state.exercise.forEach(function (letter, i) { if (!letter) missing.push(i + 1); });
        var error = form.querySelector('[data-role="error"]');
        if (missing.length) {
          error.textContent = "Choose an activity for step" + (missing.length > 1 ? "s " : " ") + missing.join(", ") + " first.";
          return;
        }
        error.textContent = "";
        state.exerciseChecked = true;
        ctx.record({
          id: ctx.interactionId(exercise.id, state.exerciseTries), type: "matching",
          response: pairs(state.exercise), correctResponse: pairs(exercise.answers),
          correct: state.exercise.join("") === exercise.answers.join(""), startedAt: ctx.shownAt()
        });
        showExerciseFeedback();
        ctx.persist();
        form.querySelector('[data-role="feedback"]').focus();
      });
      form.querySelector('[data-role="try-again"]').addEventListener("click", function () {
        var state = ctx.state();
        state.exerciseChecked = false;
        state.exerciseTries = Math.min(state.exerciseTries + 1, global.SkarpSuspend.MAX_COUNT);
        resetExercise();
        ctx.persist();
        form.querySelector("select").focus();
      });
    }

    // --- flashcards --------------------------------------------------------------------------

    function renderFlashcard(card, index) {
      var open = card.getAttribute("data-open") === "true";
      card.querySelector('[data-role="back"]').hidden = !open;
      var button = card.querySelector('[data-role="flip"]');
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? "Hide answer" : "Show answer";
      var count = ctx.state().flipped.filter(Boolean).length;
      var hint = document.querySelector('[data-role="flip-count"]');
      if (hint) hint.textContent = count + " of " + ctx.state().flipped.length + " cards turned.";
      return index;
    }

    function wireFlashcards() {
      document.querySelectorAll(".flashcard").forEach(function (card, index) {
        card.setAttribute("data-open", "false");
        renderFlashcard(card, index);
        card.querySelector('[data-role="flip"]').addEventListener("click", function () {
          var open = card.getAttribute("data-open") !== "true";
          card.setAttribute("data-open", open ? "true" : "false");
          if (open && !ctx.state().flipped[index]) {
            ctx.state().flipped[index] = true;
            ctx.persist();
          }
          renderFlashcard(card, index);
        });
      });
    }

    if (exercise) wireExercise();
    if (flashcards) wireFlashcards();
    return { showExerciseFeedback: exercise ? showExerciseFeedback : function () {} };
  }

  global.SkarpActivities = { setup: setup };
})(window);
