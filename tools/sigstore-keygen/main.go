// Command sigstore-keygen writes a passphrase-encrypted ECDSA P-256 key pair in the format cosign
// and containers/image (skopeo --sign-by-sigstore-private-key) read. Debian's skopeo signs and
// verifies sigstore signatures but predates `skopeo generate-sigstore-key`, and cosign is a far
// heavier build for the one thing missing here.
//
// Usage: sigstore-keygen PREFIX < passphrase
//
// The passphrase comes on standard input (first line), never on the command line; PREFIX.key is
// written with mode 0600, PREFIX.pub with 0644. Existing files are not overwritten.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// cosign's PEM type; containers/image accepts it as well as its own "ENCRYPTED SIGSTORE PRIVATE KEY".
const privateKeyPemType = "ENCRYPTED COSIGN PRIVATE KEY"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sigstore-keygen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: sigstore-keygen PREFIX < passphrase")
	}
	prefix := args[0]
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("reading the passphrase from standard input: %w", err)
	}
	passphrase := []byte(strings.TrimRight(line, "\r\n"))
	if len(passphrase) == 0 {
		return errors.New("empty passphrase")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	sealed, err := encrypted.Encrypt(der, passphrase)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := create(prefix+".key", pem.EncodeToMemory(&pem.Block{Type: privateKeyPemType, Bytes: sealed}), 0o600); err != nil {
		return err
	}
	return create(prefix+".pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}

func create(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
