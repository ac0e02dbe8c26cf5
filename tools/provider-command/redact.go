package provider

import (
	"context"
	"sort"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

type secretsKey struct{}

// Placeholder replaces a secret value in anything the provider logs or returns as an error.
const Placeholder = "[secret]"

// withSecretRedaction records, for each create, update and delete, the string values the engine
// marked secret (environment values, stdin, connection credentials…). The decoded inputs the
// resources see no longer carry that mark, so this is where it is still known.
func withSecretRedaction(inner p.Provider) p.Provider {
	create, update, del := inner.Create, inner.Update, inner.Delete
	inner.Create = func(ctx context.Context, req p.CreateRequest) (p.CreateResponse, error) {
		return create(withSecrets(ctx, req.Properties), req)
	}
	inner.Update = func(ctx context.Context, req p.UpdateRequest) (p.UpdateResponse, error) {
		return update(withSecrets(ctx, req.Inputs, req.State), req)
	}
	inner.Delete = func(ctx context.Context, req p.DeleteRequest) error {
		return del(withSecrets(ctx, req.Properties), req)
	}
	return inner
}

func withSecrets(ctx context.Context, maps ...property.Map) context.Context {
	var found []string
	for _, m := range maps {
		for k, v := range m.AllStable {
			// A recorded output is secret because an input was: the inputs name the secret. Taken
			// whole, a previous stdout would hide the same line of the next run.
			if !recordedOutput[k] {
				collectSecrets(v, false, &found)
			}
		}
	}
	return context.WithValue(ctx, secretsKey{}, newRedactor(found))
}

func collectSecrets(v property.Value, inSecret bool, out *[]string) {
	inSecret = inSecret || v.Secret()
	switch {
	case v.IsString():
		if inSecret {
			*out = append(*out, v.AsString())
		}
	case v.IsArray():
		for _, e := range v.AsArray().All {
			collectSecrets(e, inSecret, out)
		}
	case v.IsMap():
		for k, e := range v.AsMap().All {
			// The connection is secret as a whole, but where it points is no credential: an
			// error naming the host and user stays readable.
			collectSecrets(e, inSecret && !connectionAddress[k], out)
		}
	}
}

var recordedOutput = map[string]bool{"stdout": true, "stderr": true, "assets": true, "archive": true}

var connectionAddress = map[string]bool{
	"host": true, "port": true, "user": true, "hostKey": true, "agentSocketPath": true,
	"dialErrorLimit": true, "perDialTimeout": true,
}

// redactor replaces secret values, longest first (so that a secret containing another is
// replaced whole), and each non-empty line of a multi-line secret on its own, since command
// output is logged line by line.
const (
	minSecret     = 4
	minSecretLine = 8
)

type redactor struct{ secrets []string }

func newRedactor(values []string) redactor {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		// Replacing a one- to three-character value everywhere would garble every message.
		if s = strings.TrimSpace(s); len(s) >= minSecret && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, v := range values {
		add(v)
		if strings.Contains(v, "\n") {
			for _, line := range strings.Split(v, "\n") {
				// Short lines of a multi-line secret ("}", "---") are no secret on their own.
				if len(strings.TrimSpace(line)) >= minSecretLine {
					add(line)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return redactor{out}
}

func (r redactor) redact(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, Placeholder)
	}
	return s
}

func redactorFrom(ctx context.Context) redactor {
	r, _ := ctx.Value(secretsKey{}).(redactor)
	return r
}
