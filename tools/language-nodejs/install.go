package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// installDir is where the package manager must run for a program in dir: the workspace root
// when dir is inside an npm/yarn/pnpm workspace (dependencies are hoisted there), otherwise the
// directory of the package.json that governs dir.
func installDir(dir string) (string, error) {
	manifest, err := findManifest(dir)
	if err != nil {
		return "", err
	}
	project := filepath.Dir(manifest)
	for d := filepath.Dir(project); ; {
		if m, err := readManifest(filepath.Join(d, "package.json")); err == nil && len(m.Workspaces) > 0 &&
			workspaceIncludes(d, m.Workspaces, project) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return project, nil
		}
		d = parent
	}
}

// workspaceIncludes reports whether member is one of the workspace globs of root. package.json
// "workspaces" is either a list of globs or {"packages": [globs]}.
func workspaceIncludes(root string, raw json.RawMessage, member string) bool {
	var globs []string
	if err := json.Unmarshal(raw, &globs); err != nil {
		var obj struct {
			Packages []string `json:"packages"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return false
		}
		globs = obj.Packages
	}
	for _, g := range globs {
		if ok, _ := filepath.Match(filepath.Join(root, g), member); ok {
			return true
		}
	}
	return false
}

// missingDependencies lists the packages that package.json in dir declares but node_modules
// (in dir or above, where node would find them) does not have. devDependencies count unless
// the install is for production.
func missingDependencies(dir string, production bool) ([]string, error) {
	m, err := readManifest(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	declared := []map[string]string{m.Dependencies}
	if !production {
		declared = append(declared, m.DevDependencies)
	}
	var missing []string
	for _, deps := range declared {
		for name := range deps {
			if installedVersion(dir, name) == "" {
				missing = append(missing, name)
			}
		}
	}
	sort.Strings(missing)
	return missing, nil
}

// installCommand is the package manager command line that installs the dependencies in dir.
// For a fresh install with npm and a lock file we use `npm ci`: it installs exactly what the
// lock file says and fails instead of silently resolving something else, which is what an
// offline-reproducible build wants. Completing an existing node_modules (say, after
// `pulumi package add` added a local SDK to package.json, which leaves the lock file behind)
// needs `npm install`, which also updates the lock file. Audit and funding calls are switched
// off: they are network round trips that have nothing to do with installing.
func installCommand(pm, dir string, production, fresh bool) []string {
	switch pm {
	case "yarn":
		cmd := []string{"yarn", "install"}
		if production {
			cmd = append(cmd, "--production")
		}
		return cmd
	case "pnpm":
		cmd := []string{"pnpm", "install"}
		if production {
			cmd = append(cmd, "--prod")
		}
		return cmd
	case "bun":
		cmd := []string{"bun", "install"}
		if production {
			cmd = append(cmd, "--production")
		}
		return cmd
	default:
		cmd := []string{"npm", "install"}
		if fresh && (fileExists(filepath.Join(dir, "package-lock.json")) || fileExists(filepath.Join(dir, "npm-shrinkwrap.json"))) {
			cmd = []string{"npm", "ci"}
		}
		cmd = append(cmd, "--no-audit", "--no-fund")
		if production {
			cmd = append(cmd, "--omit=dev")
		}
		return cmd
	}
}

// InstallDependencies backs `pulumi install`, `pulumi package add` and the engine's installs of
// policy packs and plugins. It installs only when something is missing: no node_modules, or a
// package that package.json declares and node_modules lacks. A complete tree was installed on
// purpose (e.g. by `npm ci` from the lock file in setup scripts); reinstalling it would cost
// minutes and, offline, might fail. PULUMI_LANGUAGE_NODEJS_FORCE_INSTALL=true installs anyway.
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	// A pty is a file the package manager may write to directly (and see as a terminal);
	// plain gRPC stream writers must be serialized.
	if _, isFile := stdout.(*os.File); !isFile {
		stdout, stderr = lockedWriters(stdout, stderr)
	}

	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetDirectory() //nolint:staticcheck // older engines send only this
	}
	opts, err := parseRuntimeOptions(info.GetOptions().AsMap())
	if err != nil {
		return err
	}
	if req.GetUseLanguageVersionTools() {
		fmt.Fprintln(stdout, "Note: this language host does not switch Node.js versions (.nvmrc/.node-version); using the node on PATH.")
	}

	dir, err := installDir(programDir)
	if err != nil {
		return err
	}
	force := os.Getenv("PULUMI_LANGUAGE_NODEJS_FORCE_INSTALL") == "true"
	fresh := !dirExists(filepath.Join(dir, "node_modules"))
	if !fresh && !force {
		missing, err := missingDependencies(dir, opts.production)
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			fmt.Fprintf(stdout, "Dependencies already installed in %s; skipping the install.\n", dir)
			return closer.Close()
		}
		fmt.Fprintf(stdout, "node_modules in %s lacks %s\n", dir, strings.Join(missing, ", "))
	}

	ctx, stop := context.WithCancel(h.ctx)
	defer stop()
	defer context.AfterFunc(server.Context(), stop)()

	argv := installCommand(choosePackageManager(opts.packageManager, dir), dir, opts.production, fresh || force)
	fmt.Fprintf(stdout, "Installing dependencies in %s: %s\n\n", dir, strings.Join(argv, " "))
	if err := runStreaming(ctx, dir, argv, stdout, stderr); err != nil {
		return fmt.Errorf("%s failed in %s: %w", strings.Join(argv, " "), dir, err)
	}
	if !dirExists(filepath.Join(dir, "node_modules")) {
		return fmt.Errorf("%s reported success but %s has no node_modules", argv[0], dir)
	}
	fmt.Fprintln(stdout, "Finished installing dependencies")
	return closer.Close()
}

// runStreaming runs a package manager command with its output going to the given writers.
func runStreaming(ctx context.Context, dir string, argv []string, stdout, stderr io.Writer) error {
	bin, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("%s is not on PATH", argv[0])
	}
	cmd := nodeCommand(ctx, bin, argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}
