package provider

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/pkg/sftp"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
)

// CopyToRemote is command:remote:CopyToRemote: an asset or an archive copied to a host over SFTP.
type CopyToRemote struct{}

// Annotate sets the token the npm SDK registers.
func (*CopyToRemote) Annotate(a infer.Annotator) { a.SetToken("remote", "CopyToRemote") }

// CopyToRemoteArgs are the inputs of command:remote:CopyToRemote.
type CopyToRemoteArgs struct {
	Connection *Connection          `pulumi:"connection" provider:"secret"`
	RemotePath string               `pulumi:"remotePath"`
	Source     types.AssetOrArchive `pulumi:"source"`
	Triggers   []any                `pulumi:"triggers,optional" provider:"replaceOnChanges"`
}

// CopyToRemoteState is what command:remote:CopyToRemote records: its inputs.
type CopyToRemoteState struct {
	CopyToRemoteArgs
}

// WireDependencies keeps the recorded connection secret.
func (*CopyToRemote) WireDependencies(f infer.FieldSelector, args *CopyToRemoteArgs, state *CopyToRemoteState) {
	f.OutputField(state).DependsOn(f.InputField(args))
	f.OutputField(&state.Connection).AlwaysSecret()
}

// Create copies the source (nothing is copied during a preview).
func (*CopyToRemote) Create(ctx context.Context, req infer.CreateRequest[CopyToRemoteArgs]) (
	infer.CreateResponse[CopyToRemoteState], error,
) {
	id := resourceID(req.Name)
	if !req.DryRun {
		if err := copyToRemote(ctx, req.Inputs); err != nil {
			return infer.CreateResponse[CopyToRemoteState]{}, err
		}
	}
	return infer.CreateResponse[CopyToRemoteState]{ID: id, Output: CopyToRemoteState{req.Inputs}}, nil
}

// Update copies the source again (a changed asset, path or connection).
func (*CopyToRemote) Update(ctx context.Context, req infer.UpdateRequest[CopyToRemoteArgs, CopyToRemoteState]) (
	infer.UpdateResponse[CopyToRemoteState], error,
) {
	if !req.DryRun {
		if err := copyToRemote(ctx, req.Inputs); err != nil {
			return infer.UpdateResponse[CopyToRemoteState]{}, err
		}
	}
	return infer.UpdateResponse[CopyToRemoteState]{Output: CopyToRemoteState{req.Inputs}}, nil
}

// copyToRemote writes an asset to remotePath, or an archive's members under the directory
// remotePath. Each file is written beside its target and renamed into place, so a reader never
// sees half a file.
func copyToRemote(ctx context.Context, in CopyToRemoteArgs) error {
	if in.Connection == nil {
		return fmt.Errorf("connection must be set")
	}
	if in.RemotePath == "" {
		return fmt.Errorf("remotePath must be set")
	}
	r := redactorFrom(ctx)
	client, err := dial(ctx, *in.Connection)
	if err != nil {
		return fmt.Errorf("copy: %s", r.redact(err.Error()))
	}
	defer func() { _ = client.Close() }()
	sc, err := sftp.NewClient(client)
	if err != nil {
		return fmt.Errorf("copy: sftp on %s: %w", in.Connection.Host, err)
	}
	defer func() { _ = sc.Close() }()

	switch {
	case in.Source.Asset != nil:
		return copyAsset(sc, in.Source.Asset, in.RemotePath)
	case in.Source.Archive != nil:
		return copyArchive(sc, in.Source.Archive, in.RemotePath)
	default:
		return fmt.Errorf("source must be an asset or an archive")
	}
}

func copyAsset(sc *sftp.Client, a *asset.Asset, remotePath string) error {
	blob, err := a.Read()
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer func() { _ = blob.Close() }()
	mode := os.FileMode(0o644)
	if a.IsPath() {
		if st, err := os.Stat(a.Path); err == nil {
			mode = st.Mode().Perm()
		}
	}
	return writeRemote(sc, remotePath, blob, mode)
}

func copyArchive(sc *sftp.Client, ar *archive.Archive, remoteDir string) error {
	reader, err := ar.Open()
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer func() { _ = reader.Close() }()
	for {
		name, blob, err := reader.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		clean := path.Clean("/" + name)[1:]
		if clean == "" {
			_ = blob.Close()
			continue
		}
		err = writeRemote(sc, path.Join(remoteDir, clean), blob, 0o644)
		_ = blob.Close()
		if err != nil {
			return err
		}
	}
}

func writeRemote(sc *sftp.Client, target string, content io.Reader, mode os.FileMode) error {
	if err := sc.MkdirAll(path.Dir(target)); err != nil {
		return fmt.Errorf("copy: mkdir %s: %w", path.Dir(target), err)
	}
	tmp := path.Join(path.Dir(target), "."+path.Base(target)+".pulumi-tmp")
	f, err := sc.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("copy: create %s: %w", tmp, err)
	}
	if _, err := io.Copy(f, content); err != nil {
		_ = f.Close()
		_ = sc.Remove(tmp)
		return fmt.Errorf("copy: write %s: %w", tmp, err)
	}
	if err := f.Chmod(mode); err != nil {
		_ = f.Close()
		_ = sc.Remove(tmp)
		return fmt.Errorf("copy: chmod %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		_ = sc.Remove(tmp)
		return fmt.Errorf("copy: close %s: %w", tmp, err)
	}
	if err := sc.PosixRename(tmp, target); err != nil {
		_ = sc.Remove(tmp)
		return fmt.Errorf("copy: rename to %s: %w", target, err)
	}
	return nil
}
