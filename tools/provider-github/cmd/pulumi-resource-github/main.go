// Command pulumi-resource-github is the github resource plugin: the bridge serving the mapping in
// package provider with the schema tfgen generated from it (both files are generated into this
// directory at build time and are not committed).
package main

import (
	_ "embed"
	"encoding/json"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/contract"

	provider "cicd-platform/tools/provider-github"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	tfbridge.Main("github", provider.Version, provider.Info(metadata), versioned(schema))
}

// versioned stamps the plugin version into the schema, which tfgen leaves out so that its output
// does not depend on it; `pulumi package get-schema` then names the version the plugin serves.
func versioned(spec []byte) []byte {
	var fields map[string]json.RawMessage
	contract.AssertNoErrorf(json.Unmarshal(spec, &fields), "embedded schema.json")
	v, err := json.Marshal(provider.Version)
	contract.AssertNoErrorf(err, "version")
	fields["version"] = v
	out, err := json.Marshal(fields)
	contract.AssertNoErrorf(err, "schema")
	return out
}
