package provider

import (
	"testing"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
)

func TestInfoTokens(t *testing.T) {
	info := Info(nil)
	for tf, want := range map[string]string{
		"github_repository_environment":                   "github:index/repositoryEnvironment:RepositoryEnvironment",
		"github_repository_environment_deployment_policy": "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
		"github_actions_environment_secret":               "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
		"github_actions_environment_variable":             "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
		"github_branch_protection":                        "github:index/branchProtection:BranchProtection",
		"github_branch_protection_v3":                     "github:index/branchProtectionV3:BranchProtectionV3",
	} {
		r, ok := info.Resources[tf]
		if !ok || string(r.Tok) != want {
			t.Errorf("%s: token %v, want %s", tf, r, want)
		}
	}
	if got := info.DataSources["github_app"].Tok; got != "github:index/getGithubApp:getGithubApp" {
		t.Errorf("github_app: token %s", got)
	}
	if got := info.DataSources["github_repository"].Tok; got != "github:index/getRepository:getRepository" {
		t.Errorf("github_repository: token %s", got)
	}
}

func TestInfoBehaviour(t *testing.T) {
	info := Info(nil)
	if !info.Resources["github_actions_environment_secret"].DeleteBeforeReplace {
		t.Error("an environment secret must be deleted before its replacement is created")
	}
	if s := info.Config["token"]; s == nil || s.Secret == nil || !*s.Secret {
		t.Error("the provider's token must be a secret")
	}
	ids := info.Resources["github_actions_organization_secret"].Fields["selected_repository_ids"]
	if ids == nil || ids.ForceNew == nil || !*ids.ForceNew {
		t.Error("an organization secret's repository list replaces it, as in Pulumi's build")
	}
	name := info.Resources["github_repository"].Fields["name"]
	if name == nil || name.Default == nil || !name.Default.AutoNamed {
		t.Errorf("github_repository.name is not auto-named: %+v", name)
	}
	var _ tfbridge.ProviderInfo = info
}
