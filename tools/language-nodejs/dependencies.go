package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// findManifest returns the package.json that governs dir: the nearest one at or above it.
func findManifest(dir string) (string, error) {
	for d := dir; ; {
		p := filepath.Join(d, "package.json")
		if fileExists(p) {
			return p, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no package.json found in %s or above", dir)
		}
		d = parent
	}
}

// installedVersion finds which version of a package node would load from dir: the first
// node_modules/<name>/package.json on the way up. "" if it is not installed.
func installedVersion(dir, name string) string {
	for d := dir; ; {
		if m, err := readManifest(filepath.Join(d, "node_modules", name, "package.json")); err == nil {
			return m.Version
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// programDependencies lists the program's packages for `pulumi about`. Direct dependencies
// come from package.json (dependencies and devDependencies) with the version actually
// installed, or the declared range when node_modules does not have them. Transitive ones are
// every package installed in node_modules.
func programDependencies(dir string, transitive bool) ([]*pulumirpc.DependencyInfo, error) {
	manifestPath, err := findManifest(dir)
	if err != nil {
		return nil, err
	}
	var deps []*pulumirpc.DependencyInfo
	if transitive {
		seen := map[string]bool{}
		walkSeen := map[string]bool{}
		var errs []error
		for _, root := range nodeModulesRoots(filepath.Dir(manifestPath), "") {
			errs = append(errs, walkNodeModules(root, walkSeen, func(p installedPackage) {
				if p.manifest.Name == "" {
					return // package.json of a sub-folder (e.g. "type": "module" markers)
				}
				key := p.manifest.Name + "@" + p.manifest.Version
				if !seen[key] {
					seen[key] = true
					deps = append(deps, &pulumirpc.DependencyInfo{Name: p.manifest.Name, Version: p.manifest.Version})
				}
			})...)
		}
		if len(deps) == 0 && len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
	} else {
		m, err := readManifest(manifestPath)
		if err != nil {
			return nil, err
		}
		for _, declared := range []map[string]string{m.Dependencies, m.DevDependencies} {
			for name, versionRange := range declared {
				v := installedVersion(filepath.Dir(manifestPath), name)
				if v == "" {
					v = versionRange
				}
				deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: v})
			}
		}
	}
	sort.Slice(deps, func(i, j int) bool {
		if deps[i].Name != deps[j].Name {
			return deps[i].Name < deps[j].Name
		}
		return deps[i].Version < deps[j].Version
	})
	return deps, nil
}

// GetProgramDependencies answers `pulumi about` with the program's Node.js packages.
func (h *nodeHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	deps, err := programDependencies(dir, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("listing the program's Node.js dependencies: %w", err)
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}
