module cicd-platform/tools/sigstore-keygen

go 1.22

require github.com/secure-systems-lab/go-securesystemslib v0.8.0

require (
	golang.org/x/crypto v0.17.0 // indirect
	golang.org/x/sys v0.15.0 // indirect
)
