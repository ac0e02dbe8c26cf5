// Package provider maps the Terraform GitHub provider (integrations/terraform-provider-github) onto
// Pulumi with the Terraform bridge. It is the project's own, minimal mapping: tokens are computed the
// standard way, and only the few settings that change behaviour the project relies on are spelled
// out. scripts/toolchain/README.md lists how this differs from Pulumi's published build.
package provider

import (
	tfgithub "github.com/integrations/terraform-provider-github/v6/github"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

// Version is the plugin version, stamped at build time (-X) with the @pulumi/github npm release
// this plugin stands in for: the engine matches plugin and SDK by that number.
var Version = "0.0.0-dev"

// Info is the bridge mapping. metadata is the bridge-metadata.json that tfgen wrote beside
// schema.json (empty when tfgen itself runs, which then writes it).
func Info(metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:       shimv2.NewProvider(tfgithub.Provider()),
		Name:    "github",
		Version: Version,
		// The upstream module (org, major version), which tfgen names in the schema and reads docs from.
		GitHubOrg:               "integrations",
		TFProviderModuleVersion: "v6",
		MetadataInfo:            tfbridge.NewProviderMetadata(metadata),
		// The Terraform provider reads these variables itself; declaring them makes the schema say so
		// as the SDK's does. The SDK already wraps the token in a secret; marking it here keeps it
		// secret in the provider's own state too.
		Config: map[string]*tfbridge.SchemaInfo{
			"base_url": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"GITHUB_BASE_URL"}, Value: "https://api.github.com/"}},
			"token":    {Default: &tfbridge.DefaultInfo{EnvVars: []string{"GITHUB_TOKEN"}}, Secret: tfbridge.True()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{},
		// A stack's state may also have been written by Pulumi's build of this plugin (a connected
		// user's CLI downloads it), which reads a state without a schema version as version 0.
		EnableZeroDefaultSchemaVersion: true,
	}
	// These resources are keyed by a name the user chooses and every change of the value forces a
	// replacement: created before the old one is deleted, the replacement would be deleted with it.
	for _, tf := range []string{
		"github_actions_environment_secret",
		"github_repository_collaborator",
		"github_repository_deploy_key",
		"github_repository_autolink_reference",
	} {
		info.Resources[tf] = &tfbridge.ResourceInfo{DeleteBeforeReplace: true}
	}
	// Pulumi's build replaces these secrets when their repository list changes (Terraform updates
	// them in place); the same here, so that both plugins plan the same change.
	for _, tf := range []string{
		"github_actions_organization_secret",
		"github_codespaces_organization_secret",
		"github_dependabot_organization_secret",
	} {
		info.Resources[tf] = &tfbridge.ResourceInfo{Fields: map[string]*tfbridge.SchemaInfo{
			"selected_repository_ids": {ForceNew: tfbridge.True()},
		}}
	}
	// The one token the standard rule names differently from the SDK (it would say getApp).
	info.DataSources = map[string]*tfbridge.DataSourceInfo{
		"github_app": {Tok: "github:index/getGithubApp:getGithubApp"},
	}
	info.MustComputeTokens(tokens.SingleModule("github_", "index", tokens.MakeStandard("github")))
	// The SDK declares `name` optional wherever the resource has one: the provider fills it in from
	// the resource's Pulumi name plus a random suffix, as Pulumi's build does.
	info.SetAutonaming(255, "-")
	return info
}
