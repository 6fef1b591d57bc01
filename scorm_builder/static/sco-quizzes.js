/*
 * Skarp SCO page: the knowledge check's quiz forms (loaded before sco-app.js, which owns the state,
 * the LMS session, the score and status, and navigation; see its header).
 *
 * SkarpQuizzes.setup(config, ctx) wires every quiz form on the page: an answer is checked, shown
 * with its feedback, journaled as an interaction and persisted at once. It returns
 * showFeedback(quiz, choice), for an answer restored from suspend_data, and reset(), for a new try.
 * ctx: state() (the current state, replaced on restore), persist() (write and commit),
 * record(interaction), interactionId(id, tries), shownAt() (when the page was shown),
 * allAnswered(), pageElement(id).
 */
(function (global) {
  "use strict";

  function setup(config, ctx) {
    var quizzes = config.quizzes;

    function quizForm(quiz) {
      return document.querySelector('form[data-quiz="' + quiz.id + '"]');
    }

    function showQuizFeedback(quiz, choice) {
      var form = quizForm(quiz);
      var correct = choice === quiz.answer;
      form.querySelectorAll("input[type=radio]").forEach(function (input) {
        input.checked = input.value === choice;
        input.disabled = true;
        var option = input.closest(".option");
        option.classList.toggle("correct", input.value === quiz.answer);
        option.classList.toggle("wrong", input.value === choice && !correct);
      });
      form.querySelector('[data-role="check"]').disabled = true;
      var verdict = form.querySelector('[data-role="verdict"]');
      verdict.textContent = correct ? "Correct." : "Not quite: you chose " + choice.toUpperCase() + ".";
      verdict.className = "verdict " + (correct ? "correct" : "wrong");
      form.querySelector('[data-role="feedback"]').hidden = false;
    }

    function resetQuizForm(quiz) {
      var form = quizForm(quiz);
      form.reset();
      form.querySelectorAll("input[type=radio]").forEach(function (input) {
        input.disabled = false;
        input.closest(".option").classList.remove("correct", "wrong");
      });
      form.querySelector('[data-role="check"]').disabled = false;
      form.querySelector('[data-role="feedback"]').hidden = true;
    }

    function wireQuiz(quiz, index) {
      var form = quizForm(quiz);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var selected = form.querySelector("input[type=radio]:checked");
        var error = form.querySelector('[data-role="error"]');
        if (!selected) {
          error.textContent = "Choose an answer first.";
          return;
        }
        error.textContent = "";
        ctx.state().answers[index] = selected.value;
        ctx.record({
          id: ctx.interactionId(quiz.id, ctx.state().tries), type: "choice", response: selected.value,
          correctResponse: quiz.answer, correct: selected.value === quiz.answer, startedAt: ctx.shownAt(),
          objective: quiz.objective
        });
        showQuizFeedback(quiz, selected.value);
        ctx.persist();
        form.querySelector('[data-role="feedback"]').focus();
        if (ctx.allAnswered()) {
          var panel = ctx.pageElement(quiz.page).querySelector('[data-role="score-panel"]');
          if (panel) panel.scrollIntoView({ block: "nearest" });
        }
      });
    }

    quizzes.forEach(wireQuiz);
    return {
      showFeedback: showQuizFeedback,
      reset: function () { quizzes.forEach(resetQuizForm); }
    };
  }

  global.SkarpQuizzes = { setup: setup };
})(window);
