package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/blang/semver"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageManifest is the part of a package.json we read.
type packageManifest struct {
	Name            string                   `json:"name"`
	Version         string                   `json:"version"`
	Pulumi          *plugin.PulumiPluginJSON `json:"pulumi"`
	Scripts         map[string]string        `json:"scripts"`
	Dependencies    map[string]string        `json:"dependencies"`
	DevDependencies map[string]string        `json:"devDependencies"`
	Workspaces      json.RawMessage          `json:"workspaces"`
}

func readManifest(path string) (*packageManifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m packageManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// errPluginDeclaration marks a provider SDK whose package.json asks for a plugin in a way we
// cannot pass on to the engine; such a package is left out and a warning is printed.
var errPluginDeclaration = errors.New("unusable Pulumi plugin declaration")

// legacyInstallScript matches the install hook that provider SDKs published before the
// `pulumi` field existed used to fetch their plugin, e.g.
// "node scripts/install-pulumi-plugin.js resource kubernetes 4.34.2" (still present in
// @pulumi/kubernetes and @pulumi/command).
var legacyInstallScript = regexp.MustCompile(`install-pulumi-plugin\.js\s+resource\s+(\S+)\s+(\S+)`)

// pluginPackage says whether a package.json belongs to a Pulumi provider SDK and, if so, which
// plugin (name, version, download server, parameterization) the program needs because of it.
//
//   - `"pulumi": {"resource": true, "name", "version", "server"}` is the current convention. The
//     name defaults to the package name without its @pulumi/ scope; a third-party package must
//     state it. The version defaults to the package version.
//   - Without a `pulumi` field, the legacy install script above names plugin and version.
//   - `"pulumi": {"resource": false}` (or the comment-only field of @pulumi/pulumi) means no plugin.
func pluginPackage(m *packageManifest) (*pulumirpc.PackageDependency, error) {
	if m.Pulumi == nil {
		if match := legacyInstallScript.FindStringSubmatch(m.Scripts["install"]); match != nil {
			if _, err := semver.ParseTolerant(match[2]); err != nil {
				return nil, fmt.Errorf("%w: package %q: install script names plugin version %q, not a semantic version", errPluginDeclaration, m.Name, match[2])
			}
			return &pulumirpc.PackageDependency{Name: match[1], Kind: "resource", Version: withV(match[2])}, nil
		}
		return nil, nil
	}
	if !m.Pulumi.Resource {
		return nil, nil
	}
	name := m.Pulumi.Name
	if name == "" {
		scoped, ok := strings.CutPrefix(m.Name, "@pulumi/")
		if !ok || scoped == "" {
			return nil, fmt.Errorf("%w: package %q declares a Pulumi plugin but not its name "+
				"(a package outside @pulumi/ must set pulumi.name)", errPluginDeclaration, m.Name)
		}
		name = scoped
	}
	version := m.Pulumi.Version
	if version == "" {
		version = m.Version
	}
	if version == "" {
		return nil, fmt.Errorf("%w: package %q declares a Pulumi plugin without any version", errPluginDeclaration, m.Name)
	}
	// The engine rejects the whole answer when one version is not semver. A generated SDK whose
	// version was never stamped (package.json "version": "${VERSION}") would then stop every
	// deployment; leave that one package out instead, with this error to say why.
	if _, err := semver.ParseTolerant(version); err != nil {
		return nil, fmt.Errorf("%w: package %q declares plugin %s with version %q, which is not a semantic version "+
			"(an SDK generated without its version stamped?)", errPluginDeclaration, m.Name, name, version)
	}
	dep := &pulumirpc.PackageDependency{
		Name:    name,
		Kind:    "resource",
		Version: withV(version),
		Server:  m.Pulumi.Server,
	}
	if p := m.Pulumi.Parameterization; p != nil {
		dep.Parameterization = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
	}
	if p := m.Pulumi.ExtensionParameterization; p != nil {
		dep.Extension = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
	}
	return dep, nil
}

// withV writes plugin versions the way the engine writes them ("v1.2.3").
func withV(v string) string {
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

// nodeModulesRoots lists the node_modules directories a program loads packages from: the
// program directory's, the project root's (Pulumi.yaml may sit above `main`), and those of the
// enclosing directories up to the workspace or lock-file root, where npm/yarn/pnpm workspaces
// hoist packages. We do not go further up than that: a stray node_modules in a home directory
// must not add plugins to every project below it.
func nodeModulesRoots(programDir, rootDir string) []string {
	var roots []string
	seen := map[string]bool{}
	add := func(dir string) {
		nm := filepath.Join(dir, "node_modules")
		if !seen[nm] && dirExists(nm) {
			seen[nm] = true
			roots = append(roots, nm)
		}
	}
	for _, start := range []string{programDir, rootDir} {
		if start == "" {
			continue
		}
		// Climb to the package root; with none above us, only the start directory counts.
		chain := []string{start}
		for d := start; !isPackageRoot(d); {
			parent := filepath.Dir(d)
			if parent == d {
				chain = chain[:1]
				break
			}
			d = parent
			chain = append(chain, d)
		}
		for _, d := range chain {
			add(d)
		}
	}
	return roots
}

// isPackageRoot: a directory that ends the upward search of nodeModulesRoots, because it holds
// a lock file or declares workspaces.
func isPackageRoot(dir string) bool {
	for _, lock := range []string{"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb", "npm-shrinkwrap.json"} {
		if fileExists(filepath.Join(dir, lock)) {
			return true
		}
	}
	if m, err := readManifest(filepath.Join(dir, "package.json")); err == nil && len(m.Workspaces) > 0 {
		return true
	}
	return false
}

// installedPackage is one package found under a node_modules directory.
type installedPackage struct {
	dir      string
	manifest *packageManifest
}

// walkNodeModules visits every installed package under root, including scoped packages
// (@scope/name), packages nested in other packages' node_modules, and pnpm's .pnpm store.
// Symlinks (npm link, pnpm, workspaces) are followed once: real paths are remembered in seen.
// Errors are collected and returned, the walk goes on.
func walkNodeModules(root string, seen map[string]bool, visit func(installedPackage)) []error {
	var errs []error
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return []error{err}
	}
	if seen[real] {
		return nil
	}
	seen[real] = true

	entries, err := os.ReadDir(root)
	if err != nil {
		return []error{err}
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(root, name)
		switch {
		case name == ".bin" || name == ".cache":
			continue
		case strings.HasPrefix(name, "@"):
			scoped, err := os.ReadDir(path)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, s := range scoped {
				errs = append(errs, visitPackage(filepath.Join(path, s.Name()), seen, visit)...)
			}
		case strings.HasPrefix(name, "."):
			// pnpm keeps the real packages in .pnpm/<name>@<version>/node_modules/...
			if !dirExists(path) {
				continue
			}
			stores, err := os.ReadDir(path)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, s := range stores {
				nested := filepath.Join(path, s.Name(), "node_modules")
				if dirExists(nested) {
					errs = append(errs, walkNodeModules(nested, seen, visit)...)
				}
			}
		default:
			errs = append(errs, visitPackage(path, seen, visit)...)
		}
	}
	return errs
}

func visitPackage(dir string, seen map[string]bool, visit func(installedPackage)) []error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return []error{err}
	}
	if !dirExists(real) || seen["pkg:"+real] {
		return nil
	}
	seen["pkg:"+real] = true
	var errs []error
	manifestPath := filepath.Join(real, "package.json")
	if fileExists(manifestPath) {
		m, err := readManifest(manifestPath)
		if err != nil {
			errs = append(errs, err)
		} else {
			visit(installedPackage{dir: real, manifest: m})
		}
	}
	if nested := filepath.Join(real, "node_modules"); dirExists(nested) {
		errs = append(errs, walkNodeModules(nested, seen, visit)...)
	}
	return errs
}

// requiredPackages scans the program's node_modules for provider SDKs. The result is sorted and
// has no duplicates (the same SDK installed twice at one version needs one plugin).
func requiredPackages(programDir, rootDir string) ([]*pulumirpc.PackageDependency, []error) {
	var deps []*pulumirpc.PackageDependency
	var errs []error
	seenDep := map[string]bool{}
	seen := map[string]bool{}
	for _, root := range nodeModulesRoots(programDir, rootDir) {
		errs = append(errs, walkNodeModules(root, seen, func(p installedPackage) {
			dep, err := pluginPackage(p.manifest)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p.dir, err))
				return
			}
			if dep == nil {
				return
			}
			key := dep.Name + "@" + dep.Version + "@" + dep.Server
			if dep.Parameterization != nil {
				key += "@" + dep.Parameterization.Name + "@" + dep.Parameterization.Version
			}
			if dep.Extension != nil {
				key += "@ext:" + dep.Extension.Name + "@" + dep.Extension.Version
			}
			if !seenDep[key] {
				seenDep[key] = true
				deps = append(deps, dep)
			}
		})...)
	}
	sort.Slice(deps, func(i, j int) bool {
		if deps[i].Name != deps[j].Name {
			return deps[i].Name < deps[j].Name
		}
		return deps[i].Version < deps[j].Version
	})
	return deps, errs
}

// GetRequiredPackages tells the engine which provider plugins (and versions) the program's
// installed SDKs need, so that it loads exactly those: with automatic plugin acquisition off,
// they must have been installed beforehand (`pulumi plugin install ... --file`).
func (h *nodeHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, errs := requiredPackages(req.GetInfo().GetProgramDirectory(), req.GetInfo().GetRootDirectory())
	reportScanErrors(errs)
	h.startWarm(req.GetInfo())
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

// GetRequiredPlugins is the older form of GetRequiredPackages, still called by some engine
// paths. Parameterized packages cannot be expressed in it: they are left out.
func (h *nodeHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetProgram() //nolint:staticcheck // older engines send only this
	}
	deps, errs := requiredPackages(dir, req.GetInfo().GetRootDirectory())
	reportScanErrors(errs)
	var plugins []*pulumirpc.PluginDependency
	for _, d := range deps {
		if d.Parameterization != nil || d.Extension != nil {
			continue
		}
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// reportScanErrors: a broken package.json somewhere in node_modules must not stop the
// deployment (the engine reports any plugin that turns out to be missing), but a provider SDK
// we had to leave out deserves a visible warning, so those go to stderr, which the engine shows.
func reportScanErrors(errs []error) {
	for _, err := range errs {
		logging.V(3).Infof("language-nodejs: while looking for plugins: %v", err)
		if errors.Is(err, errPluginDeclaration) {
			fmt.Fprintf(os.Stderr, "warning: %v\n", err)
		}
	}
}
