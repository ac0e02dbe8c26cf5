package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/shlex"
)

// runtimeOptions are the `runtime.options` of a Pulumi.yaml (or PulumiPolicy.yaml /
// PulumiPlugin.yaml) with runtime nodejs. The engine hands them to us as a struct in
// ProgramInfo.Options.
type runtimeOptions struct {
	// typescript: run .ts sources through the ts-node that @pulumi/pulumi bundles. Defaults to
	// true, as in upstream Pulumi: a program without the option is treated as TypeScript.
	typescript bool
	// tsconfig: path of the tsconfig the SDK hands to ts-node (PULUMI_NODEJS_TSCONFIG_PATH).
	tsconfig string
	// nodeargs: extra arguments for node itself, e.g. "--max-old-space-size=4096".
	nodeargs []string
	// packagemanager: npm, yarn, pnpm, bun or auto (detect from lock files).
	packageManager string
	// production: install without devDependencies.
	production bool
	// warmstart: start the program's node process (SDK and TypeScript loaded) when the engine
	// asks for the program's packages, so Run finds it ready (warm.go). Defaults to true.
	warmStart bool
}

func parseRuntimeOptions(raw map[string]any) (runtimeOptions, error) {
	opts := runtimeOptions{typescript: true, packageManager: "auto", warmStart: true}
	for key, value := range raw {
		switch key {
		case "typescript":
			b, ok := value.(bool)
			if !ok {
				return opts, fmt.Errorf("runtime option typescript must be a boolean, got %T", value)
			}
			opts.typescript = b
		case "tsconfig":
			s, ok := value.(string)
			if !ok {
				return opts, fmt.Errorf("runtime option tsconfig must be a string, got %T", value)
			}
			opts.tsconfig = s
		case "nodeargs":
			s, ok := value.(string)
			if !ok {
				return opts, fmt.Errorf("runtime option nodeargs must be a string, got %T", value)
			}
			args, err := shlex.Split(s)
			if err != nil {
				return opts, fmt.Errorf("runtime option nodeargs %q: %w", s, err)
			}
			opts.nodeargs = args
		case "packagemanager":
			s, ok := value.(string)
			if !ok {
				return opts, fmt.Errorf("runtime option packagemanager must be a string, got %T", value)
			}
			switch s {
			case "auto", "npm", "yarn", "pnpm", "bun":
				opts.packageManager = s
			default:
				return opts, fmt.Errorf("runtime option packagemanager must be one of auto, npm, yarn, pnpm or bun, got %q", s)
			}
		case "production":
			b, ok := value.(bool)
			if !ok {
				return opts, fmt.Errorf("runtime option production must be a boolean, got %T", value)
			}
			opts.production = b
		case "warmstart":
			b, ok := value.(bool)
			if !ok {
				return opts, fmt.Errorf("runtime option warmstart must be a boolean, got %T", value)
			}
			opts.warmStart = b
		default:
			// Unknown options are ignored, as the engine does for every language: Pulumi.yaml
			// files written for a newer host must still run.
		}
	}
	return opts, nil
}

// choosePackageManager resolves "auto" the way Node.js projects expect: the lock file that is
// present decides (searching up from dir, so workspaces work); npm when there is none.
func choosePackageManager(option, dir string) string {
	if option != "" && option != "auto" {
		return option
	}
	if os.Getenv("PULUMI_PREFER_YARN") == "true" {
		return "yarn"
	}
	lockFiles := []struct{ file, manager string }{
		{"package-lock.json", "npm"},
		{"yarn.lock", "yarn"},
		{"pnpm-lock.yaml", "pnpm"},
		{"bun.lock", "bun"},
		{"bun.lockb", "bun"},
	}
	for d := dir; d != ""; {
		for _, lf := range lockFiles {
			if fileExists(filepath.Join(d, lf.file)) {
				return lf.manager
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return "npm"
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

func dirExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
