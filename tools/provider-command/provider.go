// Package provider is a Pulumi resource provider named "command" whose schema matches the
// command:local:Command, command:remote:Command and command:remote:CopyToRemote resources of
// pulumi-command 1.2.1, so that the npm SDK @pulumi/command 1.2.1 runs against it unmodified.
package provider

import (
	"context"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Name is the package name the engine and the npm SDK know the plugin by.
const Name = "command"

// Version is stamped at build time (-X); the plugin is installed under the npm SDK's version.
var Version = "1.2.1"

// New builds the provider: the inferred resources, wrapped so that every operation knows which
// input strings were secret and can keep them out of logs and error messages.
func New() (p.Provider, error) {
	inner, err := infer.NewProviderBuilder().
		WithResources(
			infer.Resource(&LocalCommand{}),
			infer.Resource(&RemoteCommand{}),
			infer.Resource(&CopyToRemote{}),
		).
		WithDisplayName("Command").
		WithDescription("Run local and remote commands, and copy files over SFTP (cicd-platform's own build).").
		WithLanguageMap(map[string]any{
			"nodejs": map[string]any{"respectSchemaVersion": true},
		}).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	return withTriggerReplaces(withSecretRedaction(inner)), nil
}

// withTriggerReplaces makes a change anywhere inside `triggers` a replacement. The inferred diff
// honours replaceOnChanges for a top-level property only, and reports a changed trigger as a
// change of its element (triggers[0]).
func withTriggerReplaces(inner p.Provider) p.Provider {
	diff := inner.Diff
	inner.Diff = func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		resp, err := diff(ctx, req)
		if err != nil {
			return resp, err
		}
		for path, d := range resp.DetailedDiff {
			if topLevel(path) == "triggers" {
				d.Kind = asReplace(d.Kind)
				resp.DetailedDiff[path] = d
			}
		}
		return resp, nil
	}
	return inner
}

func topLevel(path string) string {
	if pp, err := resource.ParsePropertyPath(path); err == nil && len(pp) > 0 {
		if head, ok := pp[0].(string); ok {
			return head
		}
	}
	return path
}

func asReplace(k p.DiffKind) p.DiffKind {
	switch k {
	case p.Add:
		return p.AddReplace
	case p.Delete:
		return p.DeleteReplace
	case p.Update:
		return p.UpdateReplace
	default:
		return k
	}
}

// Run serves the provider to the engine.
func Run(ctx context.Context) error {
	prov, err := New()
	if err != nil {
		return err
	}
	return p.RunProvider(ctx, Name, Version, prov)
}
