package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// resolveInstalled answers require.resolve(module) from dir for the common case without starting
// node (a node process costs a tenth of a second or more, on the path of every run): the package
// found in the nearest node_modules walking up from dir, without an "exports" map, and a subpath
// that is a file, a .js file or a directory with an index.js and no package.json of its own. ok is
// false for anything else (exports maps, NODE_PATH, a subpath's own "main"), and resolveModule then
// asks node, which also words the error when the module is not there.
func resolveInstalled(dir, module string) (path string, ok bool) {
	pkg, sub := splitModule(module)
	if pkg == "" {
		return "", false
	}
	for d := dir; ; d = filepath.Dir(d) {
		root := filepath.Join(d, "node_modules", pkg)
		if manifest, err := os.ReadFile(filepath.Join(root, "package.json")); err == nil {
			var fields map[string]json.RawMessage
			if json.Unmarshal(manifest, &fields) != nil || fields["exports"] != nil || sub == "" {
				return "", false
			}
			return resolveSubpath(filepath.Join(root, filepath.FromSlash(sub)))
		}
		if parent := filepath.Dir(d); parent == d {
			return "", false
		}
	}
}

// splitModule splits "@scope/name/sub/path" or "name/sub/path" into the package and the subpath.
func splitModule(module string) (pkg, sub string) {
	parts := strings.Split(module, "/")
	n := 1
	if strings.HasPrefix(module, "@") {
		n = 2
	}
	if module == "" || len(parts) < n || strings.HasPrefix(module, ".") || filepath.IsAbs(module) {
		return "", ""
	}
	return strings.Join(parts[:n], "/"), strings.Join(parts[n:], "/")
}

// resolveSubpath follows node's order: the file itself, then with .js, then the directory's
// index.js (a directory with its own package.json is left to node).
func resolveSubpath(base string) (string, bool) {
	for _, file := range []string{base, base + ".js"} {
		if info, err := os.Stat(file); err == nil && info.Mode().IsRegular() {
			return realPath(file)
		}
	}
	if info, err := os.Stat(base); err != nil || !info.IsDir() {
		return "", false
	}
	if _, err := os.Stat(filepath.Join(base, "package.json")); err == nil {
		return "", false
	}
	index := filepath.Join(base, "index.js")
	if info, err := os.Stat(index); err == nil && info.Mode().IsRegular() {
		return realPath(index)
	}
	return "", false
}

// realPath: node reports the real path of what it resolves (it follows symlinks unless told to
// preserve them).
func realPath(file string) (string, bool) {
	real, err := filepath.EvalSymlinks(file)
	return real, err == nil
}
