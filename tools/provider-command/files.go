package provider

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
)

// collectFiles fills `assets` (assetPaths) and `archive` (archivePaths) from the files under the
// command's directory that match the globs; a glob starting with "!" excludes what it matches.
func collectFiles(in LocalCommandArgs, out *LocalCommandState) error {
	out.Assets, out.Archive = nil, nil
	if len(in.AssetPaths) == 0 && len(in.ArchivePaths) == 0 {
		return nil
	}
	dir := "."
	if in.Dir != nil && *in.Dir != "" {
		dir = *in.Dir
	}
	if len(in.AssetPaths) > 0 {
		matched, err := matchFiles(dir, in.AssetPaths)
		if err != nil {
			return fmt.Errorf("assetPaths: %w", err)
		}
		out.Assets = map[string]*resource.Asset{}
		for _, rel := range matched {
			a, err := asset.FromPath(filepath.Join(dir, rel))
			if err != nil {
				return fmt.Errorf("assetPaths: %s: %w", rel, err)
			}
			out.Assets[rel] = a
		}
	}
	if len(in.ArchivePaths) > 0 {
		matched, err := matchFiles(dir, in.ArchivePaths)
		if err != nil {
			return fmt.Errorf("archivePaths: %w", err)
		}
		members := map[string]any{}
		for _, rel := range matched {
			a, err := asset.FromPath(filepath.Join(dir, rel))
			if err != nil {
				return fmt.Errorf("archivePaths: %s: %w", rel, err)
			}
			members[rel] = a
		}
		ar, err := archive.FromAssets(members)
		if err != nil {
			return fmt.Errorf("archivePaths: %w", err)
		}
		out.Archive = ar
	}
	return nil
}

// matchFiles returns the regular files under dir (slash-separated, relative, sorted) that the
// last matching glob includes. "**" matches any number of directories.
func matchFiles(dir string, globs []string) ([]string, error) {
	for _, g := range globs {
		if _, err := path.Match(strings.ReplaceAll(strings.TrimPrefix(g, "!"), "**", "x"), ""); err != nil {
			return nil, fmt.Errorf("glob %q: %w", g, err)
		}
	}
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		included := false
		for _, g := range globs {
			neg := strings.HasPrefix(g, "!")
			if globMatch(strings.TrimPrefix(g, "!"), rel) {
				included = !neg
			}
		}
		if included {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

func globMatch(glob, name string) bool {
	return matchSegments(strings.Split(glob, "/"), strings.Split(name, "/"))
}

func matchSegments(glob, name []string) bool {
	for len(glob) > 0 {
		if glob[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(glob[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(glob[0], name[0]); !ok {
			return false
		}
		glob, name = glob[1:], name[1:]
	}
	return len(name) == 0
}
