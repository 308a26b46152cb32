// jest's testSequencer: the longest test files first, so that neither worker is left with a long
// file at the end while the other idles. jest's own sequencer orders by the durations it cached in
// an earlier run, and by file size without them, as in a fresh clone, where size says little here
// (a 130-line property search file runs for half a minute, a 500-line unit test file for one second).
// Without a cached duration a file gets the one measured for it below (seconds in its worker, CI=true,
// 2-core machine, 2026-12-07, bench/tests.ts; files not listed: their size at 10 KB a second).
'use strict';
const path = require('path');
const Sequencer = require('@jest/test-sequencer').default;

const MEASURED = [
  [/compliance\/property\/[^/]+\.property\.test\.ts$/, 30],
  [/compliance\/reference-app\.test\.ts$/, 20],
  [/validation\/[^/]+\.test\.ts$/, 19],
  [/composition\/composition\.test\.ts$/, 15],
  [/multi-account\/compliance\.test\.ts$/, 14],
  [/local\/(monitoring-job|training-workflow|approval-workflow|promote-workflow)\.test\.ts$/, 10],
  [/workflow\/custom-pipeline\.test\.ts$/, 10],
  [/jobs\/training-job-step\.test\.ts$/, 8],
  [/hosting\/endpoints\.test\.ts$/, 8],
  [/docs\/readme\.test\.ts$/, 7],
  [/stacks\/hosting-stacks\.test\.ts$/, 7],
  [/containers\/[^/]+\.test\.ts$/, 6],
];

class LongestFirst extends Sequencer {
  sort(tests) {
    const estimate = test => {
      const cached = this.time(test);
      if (cached != null) return cached / 1000;
      const file = test.path.split(path.sep).join('/');
      const known = MEASURED.find(([pattern]) => pattern.test(file));
      return known ? known[1] : (test.context.hasteFS.getSize(test.path) ?? 0) / 10_000;
    };
    const keyed = tests.map(test => ({ test, failed: this.hasFailed(test), seconds: estimate(test) }));
    // Files that failed last time first (their result matters most), then the longest.
    keyed.sort((a, b) => (a.failed !== b.failed ? (a.failed ? -1 : 1) : b.seconds - a.seconds));
    return keyed.map(k => k.test);
  }
}

module.exports = LongestFirst;
