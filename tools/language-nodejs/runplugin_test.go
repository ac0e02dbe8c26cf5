package main

import (
	"reflect"
	"slices"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestBuildPluginArgs(t *testing.T) {
	// run-policy-pack: "<engine address> <pack dir>", the directory last.
	got := buildPluginArgs([]string{"--inspect=0"}, "run-policy-pack/index.js", true, "/packs/p", []string{"127.0.0.1:5"})
	want := []string{"--inspect=0", "run-policy-pack/index.js", "127.0.0.1:5", "/packs/p"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("policy pack: got %q, want %q", got, want)
	}
	// run-plugin: the directory first, the plugin's own arguments after it.
	got = buildPluginArgs(nil, "run-plugin/index.js", false, "/plugins/p", []string{"127.0.0.1:5", "--x"})
	want = []string{"run-plugin/index.js", "/plugins/p", "127.0.0.1:5", "--x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plugin: got %q, want %q", got, want)
	}
}

func TestPolicyPackEnv(t *testing.T) {
	if env, err := policyPackEnv(nil); err != nil || env != nil {
		t.Fatalf("no configuration: %v %v", env, err)
	}
	env, err := policyPackEnv(&pulumirpc.AnalyzerStackConfigureRequest{
		Organization: "acme", Project: "cicd-platform", Stack: "local", DryRun: true,
		Config: map[string]string{"cicd-platform:environment": "local"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"PULUMI_NODEJS_ORGANIZATION=acme",
		"PULUMI_NODEJS_PROJECT=cicd-platform",
		"PULUMI_NODEJS_STACK=local",
		"PULUMI_NODEJS_DRY_RUN=true",
		`PULUMI_CONFIG={"cicd-platform:environment":"local"}`,
	} {
		if !slices.Contains(env, want) {
			t.Errorf("missing %s in %q", want, env)
		}
	}
}
