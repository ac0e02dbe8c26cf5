// Command pulumi-resource-github is the github resource plugin: the bridge serving the mapping in
// package provider with the schema tfgen generated from it (both files are generated into this
// directory at build time and are not committed).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	provider "cicd-platform/tools/provider-github"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	tfbridge.Main("github", provider.Version, provider.Info(metadata), schema)
}
