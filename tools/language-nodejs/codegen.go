package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	npm "github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// toolName is recorded by the generator in the header of every generated file.
const toolName = "pulumi-language-nodejs"

// GeneratePackage backs `pulumi package gen-sdk --language nodejs` and `pulumi package add`:
// it turns a provider schema into a TypeScript SDK, with pkg/v3's Node.js code generator (the
// same one Pulumi's published SDKs come from), and writes it to req.Directory.
func (h *nodeHost) GeneratePackage(
	ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	if req.GetLoaderTarget() == "" {
		return nil, errors.New("GeneratePackage needs the engine's schema loader address (loader_target)")
	}
	loaderClient, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, fmt.Errorf("connecting to the engine's schema loader: %w", err)
	}
	defer loaderClient.Close()
	// References to other packages' types (e.g. kubernetes from a component) are resolved
	// through the engine, which loads those schemas from the installed plugins.
	loader := schema.NewCachedLoader(loaderClient)

	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.GetSchema()), &spec); err != nil {
		return nil, fmt.Errorf("the package schema is not valid JSON: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, fmt.Errorf("binding the schema of %s: %w", spec.Name, err)
	}
	rpcDiags := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiags}, nil
	}

	files, err := nodejs.GeneratePackage(toolName, pkg, req.GetExtraFiles(), req.GetLocalDependencies(), req.GetLocal(), loader)
	if err != nil {
		return nil, fmt.Errorf("generating the Node.js SDK of %s: %w", spec.Name, err)
	}
	if err := writeFiles(req.GetDirectory(), files); err != nil {
		return nil, err
	}
	logging.V(5).Infof("language-nodejs: wrote %d files of the %s SDK to %s", len(files), spec.Name, req.GetDirectory())
	return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiags}, nil
}

// writeFiles writes generated files under dir, refusing any name that would land outside it.
func writeFiles(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		if rel, err := filepath.Rel(dir, path); err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("generated file %q would be written outside %s", name, dir)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

// Pack backs `pulumi package pack-sdk`: build a generated SDK and `npm pack` it. Generated SDKs
// build with `npm run build` (tsc into bin/), and the tarball is made from bin/ with the
// package.json copied next to the compiled files.
func (h *nodeHost) Pack(ctx context.Context, req *pulumirpc.PackRequest) (*pulumirpc.PackResponse, error) {
	dir := req.GetPackageDirectory()
	m, err := readManifest(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the SDK's package.json: %w", err)
	}
	if m.Name == "@pulumi/pulumi" {
		return nil, errors.New("packing the core @pulumi/pulumi SDK is not supported by this language host")
	}
	ctx, stop := context.WithCancel(h.ctx)
	defer stop()
	out, errOut := lockedWriters(hostStderr(), hostStderr()) // stdout is reserved for the engine protocol
	for _, argv := range [][]string{{"npm", "install", "--no-audit", "--no-fund"}, {"npm", "run", "build"}} {
		fmt.Fprintf(errOut, "$ %s\n", strings.Join(argv, " "))
		if err := runStreaming(ctx, dir, argv, out, errOut); err != nil {
			return nil, fmt.Errorf("%s in %s: %w", strings.Join(argv, " "), dir, err)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "package.json"), manifest, 0o644); err != nil {
		return nil, fmt.Errorf("copying package.json into bin/: %w", err)
	}
	var tarball strings.Builder
	argv := []string{"npm", "pack", filepath.Join(dir, "bin"), "--pack-destination", req.GetDestinationDirectory()}
	fmt.Fprintf(errOut, "$ %s\n", strings.Join(argv, " "))
	if err := runStreaming(ctx, dir, argv, &tarball, errOut); err != nil {
		return nil, fmt.Errorf("npm pack: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(tarball.String()), "\n")
	return &pulumirpc.PackResponse{
		ArtifactPath: filepath.Join(req.GetDestinationDirectory(), strings.TrimSpace(lines[len(lines)-1])),
	}, nil
}

// Link backs `pulumi package add`: after GeneratePackage wrote a local SDK, add it to the
// program's package.json (as a file: dependency, through the project's package manager) and
// tell the user how to import it. The npm package name is read from the generated SDK's own
// package.json, so it is whatever the schema asked for (e.g. @pulumi/gitlab).
func (h *nodeHost) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	info := req.GetInfo()
	opts, err := parseRuntimeOptions(info.GetOptions().AsMap())
	if err != nil {
		return nil, err
	}
	pm, err := npm.ResolvePackageManager(npm.PackageManagerType(opts.packageManager), info.GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	var imports strings.Builder
	for _, dep := range req.GetPackages() {
		sdkDir := dep.GetPath()
		if !filepath.IsAbs(sdkDir) {
			sdkDir = filepath.Join(info.GetRootDirectory(), sdkDir)
		}
		m, err := readManifest(filepath.Join(sdkDir, "package.json"))
		if err != nil {
			return nil, fmt.Errorf("reading the generated SDK's package.json: %w", err)
		}
		if err := pm.Link(ctx, info.GetProgramDirectory(), m.Name, dep.GetPath()); err != nil {
			return nil, fmt.Errorf("adding %s to %s: %w", m.Name, info.GetProgramDirectory(), err)
		}
		fmt.Fprintf(&imports, "  import * as %s from %q;\n", importName(m.Name), m.Name)
	}
	return &pulumirpc.LinkResponse{
		ImportInstructions: "You can import the SDK in your TypeScript code with:\n\n" + imports.String(),
	}, nil
}

// importName is a JavaScript identifier for a package name: "@pulumi/gitlab" -> "gitlab",
// "@acme/my-provider" -> "myProvider".
func importName(pkg string) string {
	name := pkg[strings.LastIndex(pkg, "/")+1:]
	var b strings.Builder
	upper := false
	for _, r := range name {
		switch {
		case r == '-' || r == '_' || r == '.':
			upper = b.Len() > 0
		case upper:
			b.WriteString(strings.ToUpper(string(r)))
			upper = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
