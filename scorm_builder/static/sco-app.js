/*
 * Skarp SCO page: navigation, quizzes and the session, with progress kept in the LMS through
 * SkarpScorm.Runtime (scorm-runtime.js: SCORM 1.2 or 2004, config.scorm) and SkarpSuspend
 * (suspend-data.js); the quiz forms are in sco-quizzes.js, the thought exercise and the flashcards
 * in sco-activities.js.
 *
 * The pass rule is counts only: passed when correct >= config.correctNeeded, which the builder
 * computed with the server's function (see pass-rule.js); the percentages shown are for reading.
 *
 * Nothing waits for the page to be left: every change (a page shown, an answer, a card turned) is
 * written and committed at once, and the runtime commits on a timer and retries refused commits.
 * "Save and exit" calls LMSFinish while the page is alive; pagehide is only the last resort.
 * How the SCO reports (status on failing, when a page SCO is done, exit, interactions...) comes
 * from the package's tracking options in course.yaml (config.tracking).
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("sco-config").textContent);
  var tracking = config.tracking;
  var pages = config.pages;
  var quizzes = config.quizzes;
  var exercise = config.exercise || null;
  var flashcards = config.flashcards || null;
  var graded = quizzes.length > 0;
  var state = freshState();
  var current = null;
  var shownAt = Date.now();
  var reachedEnd = false;
  var dwellTimer = null;
  var activities = null; // SkarpActivities (sco-activities.js): the exercise and the flashcards
  var quizForms = null; // SkarpQuizzes (sco-quizzes.js): the knowledge check's forms
  var runtime = new window.SkarpScorm.Runtime({
    version: config.scorm,
    commitIntervalSeconds: tracking.commitIntervalSeconds,
    exitWhileIncomplete: tracking.exitWhileIncomplete,
    beforeCommit: save,
    onCommit: showSaveState
  });

  function freshState() {
    return window.SkarpSuspend.fresh(pages.length, quizzes.length, exercise ? exercise.answers.length : 0,
      flashcards ? flashcards.count : 0);
  }

  function encodeState() {
    state.interactions = runtime.interactionCount;
    return window.SkarpSuspend.encode(state);
  }

  // --- page navigation -----------------------------------------------------------------------

  // --- status and score ----------------------------------------------------------------------

  function masteryScore() {
    if (tracking.honourLmsMasteryScore && runtime.lmsMasteryScore !== null) return runtime.lmsMasteryScore;
    return config.masteryScore === null ? 100 : config.masteryScore;
  }

  /** Correct answers needed to pass: the build's count, or the LMS's own pass mark when it wins. */
  function correctNeeded() {
    if (tracking.honourLmsMasteryScore && runtime.lmsPassMark !== null) {
      return window.SkarpPassRule.needed(quizzes.length, runtime.lmsPassMark.text, runtime.lmsPassMark.per);
    }
    return config.correctNeeded;
  }

  function passed(score) {
    return window.SkarpPassRule.passes(score.correct, correctNeeded());
  }

  /** Each course objective the quizzes test (2004 learner objectives): its counts and, once answered, its result. */
  function reportObjectives() {
    (config.objectives || []).forEach(function (objective) {
      var correct = 0;
      var answered = 0;
      objective.quizzes.forEach(function (i) {
        if (state.answers[i]) answered++;
        if (state.answers[i] === quizzes[i].answer) correct++;
      });
      var done = answered === objective.quizzes.length;
      runtime.setObjective(objective.id, {
        correct: correct, total: objective.quizzes.length,
        passed: done ? window.SkarpPassRule.passes(correct, objective.correctNeeded) : null
      });
    });
  }

  function quizScore() {
    var correct = 0;
    quizzes.forEach(function (quiz, i) { if (state.answers[i] === quiz.answer) correct++; });
    return { correct: correct, total: quizzes.length, percent: Math.round((100 * correct) / quizzes.length) };
  }

  function allAnswered() {
    return graded && state.answers.every(function (answer) { return answer !== ""; });
  }

  function updateStatus() {
    var keep = runtime.isComplete() ? runtime.status : "incomplete";
    if (graded && allAnswered()) {
      var score = quizScore();
      runtime.setScore(score.percent, score.correct, score.total);
      runtime.setStatus(passed(score) ? "passed" : tracking.statusOnFail);
    } else if (!graded && state.seen.every(Boolean)) {
      runtime.setStatus(runtime.isComplete() ? runtime.status : tracking.statusWhenDone);
    } else {
      runtime.setStatus(keep);
    }
    if (graded) reportObjectives();
    renderScorePanels();
    renderProgress();
    renderSummary();
  }

  /** Write the bookmark and suspend_data (only what changed reaches the LMS). */
  function save() {
    runtime.saveProgress(current || pages[0], encodeState());
  }

  /** Write, then commit at once: the learner may leave the next moment. */
  function persist() {
    save();
    updateStatus();
    runtime.commit();
  }

  function showSaveState(ok) {
    var warning = document.querySelector('[data-role="save-warning"]');
    if (warning) warning.hidden = ok;
  }

  // --- when a page counts as done (ungraded SCOs: tracking.pageDoneAtEnd / pageDoneAfterSeconds) ----

  function pageDone() {
    var endOk = !tracking.pageDoneAtEnd || reachedEnd;
    var timeOk = Date.now() - shownAt >= 1000 * tracking.pageDoneAfterSeconds;
    return endOk && timeOk;
  }

  function checkPageDone() {
    var index = pages.indexOf(current);
    if (index < 0 || state.seen[index] || !pageDone()) return;
    state.seen[index] = true;
    persist();
  }

  function watchPageEnds() {
    if (!("IntersectionObserver" in window)) {
      reachedEnd = true; // cannot tell: count the page as read to the end
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var section = entry.target.closest("[data-page]");
        if (entry.isIntersecting && section && section.getAttribute("data-page") === current) {
          reachedEnd = true;
          checkPageDone();
        }
      });
    });
    document.querySelectorAll('[data-role="page-end"]').forEach(function (end) { observer.observe(end); });
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
    reachedEnd = false;
    if (dwellTimer) window.clearTimeout(dwellTimer);
    if (!graded) dwellTimer = window.setTimeout(checkPageDone, 1000 * tracking.pageDoneAfterSeconds + 50);
    persist();
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

  /** The closing page's summary: pages visited, the knowledge check's score and status. */
  function renderSummary() {
    var summary = document.querySelector('[data-role="chapter-summary"]');
    if (!summary) return;
    var visited = state.visited.filter(Boolean).length;
    summary.querySelector('[data-role="summary-pages"]').textContent =
      "Pages visited: " + visited + " of " + pages.length + ".";
    var check = summary.querySelector('[data-role="summary-check"]');
    if (!graded) {
      check.hidden = true;
      return;
    }
    var score = quizScore();
    if (allAnswered()) {
      check.textContent = "Knowledge check: " + score.percent + "% (" + score.correct + " of " + score.total +
        " correct), " + (passed(score) ? "passed" : "not passed yet (pass mark " + masteryScore() + "%)") + ".";
    } else {
      check.textContent = "Knowledge check: not finished yet (" + state.answers.filter(Boolean).length +
        " of " + quizzes.length + " answered).";
    }
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

  // --- quizzes (the forms are in sco-quizzes.js) ----------------------------------------------

  /** An interaction id: the item's own, or with the try number (quiz-1_2) when ids are unique per try. */
  function interactionId(id, tries) {
    return tracking.uniqueInteractionIds ? id + "_" + tries : id;
  }

  function record(interaction) {
    if (tracking.recordInteractions) runtime.recordInteraction(interaction);
  }

  function renderScorePanels() {
    var done = allAnswered();
    var score = quizScore();
    document.querySelectorAll('[data-role="score-panel"]').forEach(function (panel) {
      var body = panel.querySelector('[data-role="score-body"]');
      var text = panel.querySelector('[data-role="score-text"]');
      body.hidden = !done;
      if (!done) {
        text.textContent = "";
        return;
      }
      var ok = passed(score);
      var message = "Knowledge check score: " + score.percent + "% (" + score.correct + " of " + score.total +
        " correct). Pass mark: " + masteryScore() + "%. " + (ok ? "Passed." : "Not passed yet.");
      if (text.textContent !== message) text.textContent = message; // a change the live region announces
      panel.querySelector('[data-role="retry"]').hidden = ok;
    });
  }

  function retryQuizzes() {
    state.answers = quizzes.map(function () { return ""; });
    state.tries = Math.min(state.tries + 1, window.SkarpSuspend.MAX_COUNT);
    quizForms.reset();
    showPage(quizzes[0].page, true);
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
    var restored = window.SkarpSuspend.decode(runtime.suspendData, state);
    if (!restored) return false;
    state = restored;
    runtime.interactionCount = state.interactions;
    quizzes.forEach(function (quiz, i) { if (state.answers[i]) quizForms.showFeedback(quiz, state.answers[i]); });
    return true;
  }

  /**
   * What the LMS does next (SCORM 2004's adl.nav.request): a finished SCO goes on to the next one
   * ("continue") or, the last, ends the course ("exitAll"); an unfinished one is suspended with the
   * course ("suspendAll", so the attempt resumes where it stopped) unless the package exits normally
   * while incomplete, then "exitAll".
   */
  function navigationRequest() {
    if (runtime.isComplete()) return config.nextActivity ? "continue" : "exitAll";
    return tracking.exitWhileIncomplete === "suspend" ? "suspendAll" : "exitAll";
  }

  /** "Save and exit": everything is committed and LMSFinish called while the page is still alive. */
  function saveAndExit() {
    save();
    updateStatus();
    runtime.requestNavigation(navigationRequest());
    var finished = runtime.finish();
    document.querySelectorAll('[data-role="finish"]').forEach(function (button) { button.disabled = true; });
    notice(finished
      ? "Saved. Your progress is in the LMS: you can close this page or go on to the next activity."
      : "The LMS did not confirm the save; your last automatic save is kept.", !finished);
  }

  function start() {
    runtime.initialize(config.masteryScore === null ? 100 : config.masteryScore);
    if (runtime.preview) {
      notice("Preview mode: no LMS connection was found, so progress and scores are not saved.");
      document.querySelectorAll('[data-role="finish"]').forEach(function (button) { button.hidden = true; });
    }
    quizForms = window.SkarpQuizzes.setup(config, {
      state: function () { return state; },
      persist: persist,
      record: record,
      interactionId: interactionId,
      shownAt: function () { return shownAt; },
      allAnswered: allAnswered,
      pageElement: pageElement
    });
    var resumed = restore();
    if (resumed && runtime.entry === "resume") notice("Welcome back: you are where you left off.");
    activities = window.SkarpActivities.setup(config, {
      state: function () { return state; },
      persist: persist,
      record: record,
      interactionId: interactionId,
      shownAt: function () { return shownAt; }
    });
    if (exercise && state.exerciseChecked) activities.showExerciseFeedback();
    document.querySelectorAll('[data-role="retry"]').forEach(function (button) {
      button.addEventListener("click", retryQuizzes);
    });
    document.querySelectorAll('[data-role="finish"]').forEach(function (button) {
      button.addEventListener("click", saveAndExit);
    });
    wireNavigation();
    if (!graded) watchPageEnds();
    showPage(pages.indexOf(runtime.location) >= 0 ? runtime.location : pages[0], false);
    runtime.startTimedCommits();
    if (runtime.errors.length) notice("The LMS did not accept some progress data; your answers may not be saved.", true);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        save();
        runtime.commit();
      }
    });
    window.addEventListener("pagehide", function () {
      save();
      runtime.finish(); // the last resort: an LMS that commits by synchronous XHR may refuse it now
    });
    document.documentElement.setAttribute("data-sco-ready", "true");
  }

  start();
})();
