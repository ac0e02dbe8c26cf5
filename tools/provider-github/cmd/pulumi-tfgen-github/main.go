// Command pulumi-tfgen-github writes the Pulumi schema of the mapping in package provider:
//
//	pulumi-tfgen-github schema --out <dir>
//
// writes <dir>/schema.json and <dir>/bridge-metadata.json, which pulumi-resource-github embeds.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	provider "cicd-platform/tools/provider-github"
)

func main() {
	tfgen.Main("github", provider.Version, provider.Info(nil))
}
