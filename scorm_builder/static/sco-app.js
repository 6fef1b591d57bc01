/*
 * Skarp SCO page: navigation, quizzes, the thought exercise and flashcards, with progress kept in
 * the LMS through SkarpScorm.Runtime (scorm-runtime.js).
 *
 * suspend_data format, version 1 (compact and bounded by the package's structure, never by what
 * the learner does; the builder checks the worst case stays under SCORM 1.2's 4,096 characters):
 *   1|<visited pages, hex bitmask>|<one char per quiz: a-d or ->|<one char per exercise step: a-z or ->[!]|<flipped cards, hex bitmask>
 * The "!" marks a checked exercise.
 */
(function () {
  "use strict";

  var FORMAT_VERSION = "1";
  var config = JSON.parse(document.getElementById("sco-config").textContent);
  var runtime = new window.SkarpScorm.Runtime();
  var pages = config.pages;
  var quizzes = config.quizzes;
  var exercise = config.exercise || null;
  var flashcards = config.flashcards || null;
  var state = freshState();
  var current = null;
  var shownAt = Date.now();

  function freshState() {
    return {
      visited: pages.map(function () { return false; }),
      answers: quizzes.map(function () { return ""; }),
      exercise: exercise ? exercise.answers.map(function () { return ""; }) : [],
      exerciseChecked: false,
      flipped: flashcards ? new Array(flashcards.count).fill(false) : []
    };
  }

  // --- suspend_data --------------------------------------------------------------------------

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

  function encodeState() {
    return [
      FORMAT_VERSION,
      toHex(state.visited),
      chars(state.answers),
      chars(state.exercise) + (state.exerciseChecked ? "!" : ""),
      toHex(state.flipped)
    ].join("|");
  }

  function decodeState(text) {
    var fields = String(text || "").split("|");
    if (fields[0] !== FORMAT_VERSION || fields.length !== 5) return null; // unknown: start afresh
    var restored = freshState();
    restored.visited = fromHex(fields[1], pages.length);
    restored.answers = fromChars(fields[2], quizzes.length, /^[a-d]$/);
    restored.exercise = fromChars(fields[3], restored.exercise.length, /^[a-z]$/);
    restored.exerciseChecked = fields[3].charAt(fields[3].length - 1) === "!";
    restored.flipped = fromHex(fields[4], restored.flipped.length);
    return restored;
  }

  // --- status and score ----------------------------------------------------------------------

  function quizScore() {
    var correct = 0;
    quizzes.forEach(function (quiz, i) { if (state.answers[i] === quiz.answer) correct++; });
    return { correct: correct, total: quizzes.length, percent: Math.round((100 * correct) / quizzes.length) };
  }

  function allAnswered() {
    return quizzes.length > 0 && state.answers.every(function (answer) { return answer !== ""; });
  }

  function updateStatus() {
    if (quizzes.length > 0) {
      if (allAnswered()) {
        var score = quizScore();
        runtime.setScore(score.percent);
        runtime.setStatus(score.percent >= runtime.masteryScore ? "passed" : "failed");
      } else if (!runtime.isComplete()) {
        runtime.setStatus("incomplete");
      }
    } else if (state.visited.every(Boolean)) {
      runtime.setStatus("completed");
    }
    renderScorePanels();
    renderProgress();
  }

  function save() {
    runtime.saveProgress(current || pages[0], encodeState());
  }

  // --- page navigation -----------------------------------------------------------------------

  function pageElement(id) {
    return document.querySelector('[data-page="' + id + '"]');
  }

  function showPage(id, focus) {
    var index = pages.indexOf(id);
    if (index < 0) index = 0;
    current = pages[index];
    pages.forEach(function (pageId) { pageElement(pageId).hidden = pageId !== current; });
    document.querySelectorAll("[data-page-link]").forEach(function (link) {
      if (link.getAttribute("data-page-link") === current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    var prev = document.querySelector('[data-role="prev"]');
    var next = document.querySelector('[data-role="next"]');
    if (prev) prev.disabled = index === 0;
    if (next) next.disabled = index === pages.length - 1;
    var count = document.querySelector('[data-role="page-count"]');
    if (count) count.textContent = "Page " + (index + 1) + " of " + pages.length;
    state.visited[index] = true;
    shownAt = Date.now();
    save();
    updateStatus();
    if (focus) {
      var heading = pageElement(current).querySelector("h2");
      (heading || document.getElementById("main")).focus();
      window.scrollTo(0, 0);
    }
  }

  function renderProgress() {
    var visitedCount = 0;
    document.querySelectorAll("[data-page-link]").forEach(function (link) {
      var visited = state.visited[pages.indexOf(link.getAttribute("data-page-link"))];
      link.classList.toggle("visited", visited);
      link.querySelector('[data-role="visited-label"]').textContent = visited ? " (visited)" : "";
      if (visited) visitedCount++;
    });
    var text = document.querySelector('[data-role="progress-text"]');
    if (text) text.textContent = "(" + visitedCount + " of " + pages.length + " visited)";
  }

  function wireNavigation() {
    document.querySelectorAll("[data-page-link]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        showPage(link.getAttribute("data-page-link"), true);
        var toc = document.querySelector('[data-role="toc"]');
        if (toc && narrowScreen()) toc.open = false;
      });
    });
    var prev = document.querySelector('[data-role="prev"]');
    var next = document.querySelector('[data-role="next"]');
    if (prev) prev.addEventListener("click", function () { showPage(pages[pages.indexOf(current) - 1], true); });
    if (next) next.addEventListener("click", function () { showPage(pages[pages.indexOf(current) + 1], true); });
    var toc = document.querySelector('[data-role="toc"]');
    if (toc && narrowScreen()) toc.open = false;
  }

  function narrowScreen() {
    return window.matchMedia && window.matchMedia("(max-width: 59.99rem)").matches;
  }

  // --- quizzes -------------------------------------------------------------------------------

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
      state.answers[index] = selected.value;
      runtime.recordInteraction({
        id: quiz.id, type: "choice", response: selected.value, correctResponse: quiz.answer,
        correct: selected.value === quiz.answer, startedAt: shownAt
      });
      showQuizFeedback(quiz, selected.value);
      save();
      updateStatus();
      runtime.commit();
      form.querySelector('[data-role="feedback"]').focus();
    });
  }

  function renderScorePanels() {
    var done = allAnswered();
    var score = quizScore();
    document.querySelectorAll('[data-role="score-panel"]').forEach(function (panel) {
      panel.hidden = !done;
      if (!done) return;
      var passed = score.percent >= runtime.masteryScore;
      panel.querySelector('[data-role="score-text"]').textContent =
        "Knowledge check score: " + score.percent + "% (" + score.correct + " of " + score.total +
        " correct). Pass mark: " + runtime.masteryScore + "%. " + (passed ? "Passed." : "Not passed yet.");
      panel.querySelector('[data-role="retry"]').hidden = passed;
    });
  }

  function retryQuizzes() {
    state.answers = quizzes.map(function () { return ""; });
    quizzes.forEach(resetQuizForm);
    save();
    renderScorePanels();
    showPage(quizzes[0].page, true);
  }

  // --- thought exercise ----------------------------------------------------------------------

  function exerciseForm() {
    return document.querySelector('form[data-exercise="' + exercise.id + '"]');
  }

  function showExerciseFeedback() {
    var form = exerciseForm();
    var matched = 0;
    form.querySelectorAll("li.step").forEach(function (step, i) {
      var select = step.querySelector("select");
      select.value = state.exercise[i];
      select.disabled = true;
      var right = state.exercise[i] === exercise.answers[i];
      if (right) matched++;
      var mark = step.querySelector('[data-role="mark"]');
      mark.textContent = right ? "✓ matches the reference" : "✗ the reference says otherwise";
      mark.className = "mark " + (right ? "correct" : "wrong");
    });
    form.querySelector('[data-role="check"]').disabled = true;
    var verdict = form.querySelector('[data-role="verdict"]');
    verdict.textContent = "You matched " + matched + " of " + exercise.answers.length + " steps with the reference mapping.";
    verdict.className = "verdict " + (matched === exercise.answers.length ? "correct" : "wrong");
    form.querySelector('[data-role="feedback"]').hidden = false;
  }

  function pairs(letters) {
    return letters.map(function (letter, i) { return (i + 1) + "." + letter; }).join(",");
  }

  function wireExercise() {
    var form = exerciseForm();
    form.querySelectorAll("select").forEach(function (select, i) {
      if (state.exercise[i]) select.value = state.exercise[i];
      select.addEventListener("change", function () {
        state.exercise[i] = select.value;
        save();
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var missing = [];
      state.exercise.forEach(function (letter, i) { if (!letter) missing.push(i + 1); });
      var error = form.querySelector('[data-role="error"]');
      if (missing.length) {
        error.textContent = "Choose an activity for step" + (missing.length > 1 ? "s " : " ") + missing.join(", ") + " first.";
        return;
      }
      error.textContent = "";
      state.exerciseChecked = true;
      runtime.recordInteraction({
        id: exercise.id, type: "matching", response: pairs(state.exercise),
        correctResponse: pairs(exercise.answers),
        correct: state.exercise.join("") === exercise.answers.join(""), startedAt: shownAt
      });
      showExerciseFeedback();
      save();
      runtime.commit();
      form.querySelector('[data-role="feedback"]').focus();
    });
  }

  // --- flashcards ----------------------------------------------------------------------------

  function renderFlashcard(card, index) {
    var open = card.getAttribute("data-open") === "true";
    card.querySelector('[data-role="back"]').hidden = !open;
    var button = card.querySelector('[data-role="flip"]');
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "Hide answer" : "Show answer";
    var count = state.flipped.filter(Boolean).length;
    var hint = document.querySelector('[data-role="flip-count"]');
    if (hint) hint.textContent = count + " of " + state.flipped.length + " cards turned.";
    return index;
  }

  function wireFlashcards() {
    document.querySelectorAll(".flashcard").forEach(function (card, index) {
      card.setAttribute("data-open", "false");
      renderFlashcard(card, index);
      card.querySelector('[data-role="flip"]').addEventListener("click", function () {
        var open = card.getAttribute("data-open") !== "true";
        card.setAttribute("data-open", open ? "true" : "false");
        if (open && !state.flipped[index]) {
          state.flipped[index] = true;
          save();
        }
        renderFlashcard(card, index);
      });
    });
  }

  // --- start and end of the session ----------------------------------------------------------

  function notice(text, isError) {
    var status = document.querySelector('[data-role="lms-status"]');
    var p = document.createElement("p");
    p.className = "notice" + (isError ? " error" : "");
    p.textContent = text;
    status.appendChild(p);
  }

  function restore() {
    var restored = decodeState(runtime.suspendData);
    if (!restored) return false;
    state = restored;
    quizzes.forEach(function (quiz, i) { if (state.answers[i]) showQuizFeedback(quiz, state.answers[i]); });
    if (exercise && state.exerciseChecked) showExerciseFeedback();
    return true;
  }

  function start() {
    runtime.initialize(config.masteryScore === null ? 100 : config.masteryScore);
    if (runtime.preview) {
      notice("Preview mode: no LMS connection was found, so progress and scores are not saved.");
    }
    var resumed = restore();
    if (resumed && runtime.entry === "resume") notice("Welcome back: you are where you left off.");
    quizzes.forEach(wireQuiz);
    if (exercise) wireExercise();
    if (flashcards) wireFlashcards();
    document.querySelectorAll('[data-role="retry"]').forEach(function (button) {
      button.addEventListener("click", retryQuizzes);
    });
    wireNavigation();
    showPage(pages.indexOf(runtime.location) >= 0 ? runtime.location : pages[0], false);
    if (runtime.errors.length) notice("The LMS did not accept some progress data; your answers may not be saved.", true);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        save();
        runtime.commit();
      }
    });
    window.addEventListener("pagehide", function () {
      save();
      runtime.finish();
    });
    document.documentElement.setAttribute("data-sco-ready", "true");
  }

  start();
})();
