#!/usr/bin/env node
'use strict';
// The CLI runs from the TypeScript sources through tsx (a runtime dependency),
// so the npm bin works in a checkout without a build step.
require('tsx/cjs');
require('../src/cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
