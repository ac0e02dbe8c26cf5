package main

import "path/filepath"

// A policy pack whose PulumiPolicy.yaml says `typescript: false` is plain JavaScript (a compiled
// pack). The SDK's run-policy-pack launcher registers ts-node for every pack, which loads the
// TypeScript compiler, and connects the V8 inspector for closure serialization; both take about
// two thirds of a small pack's start, and the engine waits for the pack before the program runs.
// For such a pack the host starts the SDK's own runner (run-policy-pack/run.js) with TypeScript
// off, behind the launcher's error handling, and leaves the compiler unloaded until something
// really uses it: the SDK's typescript-shim gets a module that loads TypeScript on first access.

// jsPackLauncher is what node runs for a JavaScript policy pack (node -e; argv[1] the SDK's
// run-policy-pack/run.js, then the launcher's own arguments: the engine's flags, the engine
// address, the pack's directory). The argument parsing, uncaught-error handling and exit codes are
// run-policy-pack's.
const jsPackLauncher = `"use strict";
const Module = require("module");
const path = require("path");
const [runModule, ...launcherArgs] = process.argv.slice(1);

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request !== "typescript" || !parent || path.basename(parent.filename) !== "typescript-shim.js") {
    return load.apply(this, arguments);
  }
  // Not installed: the shim's own fallback (the SDK's vendored copy) takes over, as before.
  Module._resolveFilename(request, parent, isMain);
  let typescript;
  const real = () => (typescript ??= load.call(this, request, parent, isMain));
  return new Proxy({}, {
    get: (_, key) => Reflect.get(real(), key),
    has: (_, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      if (descriptor) descriptor.configurable = true;
      return descriptor;
    },
  });
};

const uncaughtErrors = new Set();
const loggedErrors = new Set();
let programRunning = false;
const uncaughtHandler = (err) => {
  uncaughtErrors.add(err);
  if (!programRunning) console.error(err.stack || err.message || "" + err);
};
process.on("uncaughtException", uncaughtHandler);
process.on("unhandledRejection", uncaughtHandler);
process.on("exit", (code) => {
  if (code === 0 && uncaughtErrors.size > 0) {
    // 32: every error was already reported to the user; 1: one was not.
    process.exitCode = [...uncaughtErrors].every((err) => loggedErrors.has(err)) ? 32 : 1;
  }
});

// The engine puts its own flags (--logtostderr, -v=N, --tracing URL) before the engine address:
// parsed by the same minimist as run-policy-pack's, from the SDK's dependencies.
const minimist = require(require.resolve("minimist", { paths: [path.dirname(runModule)] }));
const argv = minimist(launcherArgs, {});
if (argv._.length < 2) {
  console.error("usage: RUN <engine-address> <program>");
  process.exit(-1);
}
argv._.shift();
require(runModule)
  .run({
    argv,
    programStarted: () => { programRunning = true; },
    reportLoggedError: (err) => loggedErrors.add(err),
    typeScript: false,
  })
  .then(() => { programRunning = false; });
`

// jsPackRunner is the SDK's runner next to its run-policy-pack launcher (the module's index.js).
func jsPackRunner(launcher string) string {
	return filepath.Join(filepath.Dir(launcher), "run.js")
}

// jsPackArgs is node's argument list for a JavaScript policy pack: run-policy-pack's arguments
// ("<engine address> <pack dir>") behind the launcher and the SDK's runner.
func jsPackArgs(nodeArgs []string, launcher string, pluginDir string, pluginArgs []string) []string {
	args := append([]string{}, nodeArgs...)
	args = append(args, "-e", jsPackLauncher, jsPackRunner(launcher))
	args = append(args, pluginArgs...)
	return append(args, pluginDir)
}
