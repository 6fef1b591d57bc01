// Validate xAPI statements with Learning Locker's validator (@learninglocker/xapi-validation).
// Input: a JSON array of statements on stdin. Output: a JSON array of [index, [warning, ...]] for
// every statement with warnings (empty when all are valid). Used by tests/test_cmi5_launch.py.
"use strict";
const validate = require("@learninglocker/xapi-validation").default;

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const statements = JSON.parse(input);
  const problems = [];
  statements.forEach((statement, index) => {
    const warnings = validate(statement);
    if (warnings.length) {
      problems.push([index, warnings.map((w) => `${w.constructor.name} at ${w.path.join(".")}: ${JSON.stringify(w.data)}`)]);
    }
  });
  process.stdout.write(JSON.stringify(problems));
});
