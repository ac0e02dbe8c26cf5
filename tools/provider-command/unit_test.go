package provider

import (
	"crypto/ed25519"
	"crypto/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"golang.org/x/crypto/ssh"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"*.txt", "a.txt", true},
		{"*.txt", "d/a.txt", false},
		{"**/*.txt", "a.txt", true},
		{"**/*.txt", "d/e/a.txt", true},
		{"out/**", "out/x/y", true},
		{"out/**", "other/x", false},
		{"out/?.log", "out/a.log", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.glob, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.glob, tt.name, got, tt.want)
		}
	}
}

func TestRedactor(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"plain", []string{"hunter2"}, "pw=hunter2!", "pw=[secret]!"},
		{"longest first", []string{"abcd", "abcdefgh"}, "x abcdefgh y abcd", "x [secret] y [secret]"},
		{"lines of a multi-line secret", []string{"line-one-xyz\n}\nline-two-xyz"}, "got line-two-xyz and }", "got [secret] and }"},
		{"empty and very short secrets ignored", []string{"", "  ", "ab"}, "nothing about ab", "nothing about ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newRedactor(tt.secrets).redact(tt.in); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEnvList(t *testing.T) {
	no := false
	tests := []struct {
		name string
		env  map[string]string
		add  *bool
		prev *previous
		want []string
	}{
		{"no previous run", map[string]string{"A": "1"}, nil, nil, []string{"A=1"}},
		{"previous output by default", nil, nil, &previous{"o", "e"}, []string{"PULUMI_COMMAND_STDOUT=o", "PULUMI_COMMAND_STDERR=e"}},
		{"addPreviousOutputInEnv false", nil, &no, &previous{"o", "e"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := envList(tt.env, tt.add, tt.prev); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("envList = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLogMode(t *testing.T) {
	tests := []struct {
		mode           logMode
		stdout, stderr bool
	}{
		{"", true, true}, {logStdout, true, false}, {logStderr, false, true}, {logNone, false, false},
		{logStdoutAndStderr, true, true},
	}
	for _, tt := range tests {
		if tt.mode.logs("stdout") != tt.stdout || tt.mode.logs("stderr") != tt.stderr {
			t.Errorf("%q logs stdout=%v stderr=%v", tt.mode, tt.mode.logs("stdout"), tt.mode.logs("stderr"))
		}
	}
}

func TestConnectionSettingsRefused(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	pw := "pw"
	tests := []struct {
		name    string
		e       endpoint
		wantErr string
	}{
		{"no host", endpoint{port: 22, hostKey: key, password: pw}, "connection.host must be set"},
		{"no host key", endpoint{host: "h", port: 22, password: pw}, "connection.hostKey must be set"},
		{"bad host key", endpoint{host: "h", port: 22, hostKey: "nonsense", password: pw}, "connection.hostKey: not a public key"},
		{"bad port", endpoint{host: "h", port: 70000, hostKey: key, password: pw}, "connection.port 70000"},
		{"bad private key", endpoint{host: "h", port: 22, hostKey: key, privateKey: "-----BEGIN nothing"}, "connection.privateKey"},
		{"no credentials", endpoint{host: "h", port: 22, hostKey: key}, "no credentials"},
		{"accepted", endpoint{host: "h", port: 22, hostKey: key, password: pw}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SSH_AUTH_SOCK", "")
			_, err := tt.e.clientConfig("connection")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCollectSecrets(t *testing.T) {
	secret := func(v property.Value) property.Value { return v.WithSecret(true) }
	tests := []struct {
		name string
		in   property.Value
		want []string
	}{
		{"plain values are no secrets", property.New(map[string]property.Value{"A": property.New("visible")}), nil},
		{"a secret environment value", property.New(map[string]property.Value{"A": secret(property.New("hidden-1"))}), []string{"hidden-1"}},
		{
			"a secret connection: its credentials, not its address",
			secret(property.New(map[string]property.Value{
				"host": property.New("10.0.0.1"), "user": property.New("runner"),
				"privateKey": property.New("-----BEGIN KEY-----"), "password": property.New("pw-secret"),
			})),
			[]string{"-----BEGIN KEY-----", "pw-secret"},
		},
		{"a host marked secret by itself", property.New(map[string]property.Value{"host": secret(property.New("10.0.0.2"))}), []string{"10.0.0.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			collectSecrets(tt.in, false, &got)
			sort.Strings(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("collectSecrets = %v, want %v", got, tt.want)
			}
		})
	}
}
