// Command pulumi-language-nodejs is cicd-platform's own Node.js language host for the Pulumi
// engine. The engine starts it as a plugin, reads the gRPC port it prints on stdout and then asks
// it (pulumirpc.LanguageRuntime) to run TypeScript/JavaScript programs and policy packs with node.
//
// It exists because the upstream host module is not served by the Go module proxy we can reach
// (see README.md); everything here is written against the served sdk/v3 and pkg/v3 libraries.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is the plugin version reported to the engine. The build script stamps it from the
// VERSION file (-X main.version=...); it matches the Pulumi CLI we build so the engine's
// "language plugin version" checks and `pulumi about` line up.
var version = "3.274.1"

// engineHealthInterval is how often we check that the engine that started us is still alive.
// If it died without stopping us (SIGKILL, crash), we stop too instead of lingering with node
// children attached.
const engineHealthInterval = 30 * time.Second

func main() {
	showVersion := flag.Bool("version", false, "print the plugin version and exit")
	tracingEndpoint := flag.String("tracing", "", "Zipkin-compatible tracing endpoint, passed on to node")
	// The engine forwards its own logging flags (-v=N, --logtostderr) to plugins when --logflow
	// is on. A dependency may already have registered them; define whichever is missing so that
	// flag parsing never fails on them. logging.InitLogging reads them back from the flag set.
	if flag.Lookup("v") == nil {
		flag.Int("v", 0, "log verbosity (forwarded by the engine with --logflow)")
	}
	if flag.Lookup("logtostderr") == nil {
		flag.Bool("logtostderr", false, "log to stderr (forwarded by the engine with --logflow)")
	}
	flag.Parse()

	if *showVersion {
		fmt.Println(version)
		return
	}
	logging.InitLogging(false, 0, false)

	// The engine passes its own gRPC address as the only positional argument. When the host is
	// started by hand (debugging), the engine address arrives later through Handshake instead.
	engineAddress := ""
	if flag.NArg() > 0 {
		engineAddress = flag.Arg(0)
	}

	if err := serve(engineAddress, *tracingEndpoint); err != nil {
		cmdutil.Exit(err)
	}
}

// serve starts the gRPC server, prints its port for the engine and blocks until the server stops.
// It stops on SIGINT/SIGTERM (the engine interrupts its plugins' process group on shutdown) and
// when the engine no longer answers health checks. Stopping cancels every node process we started.
func serve(engineAddress, tracingEndpoint string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	host := newHost(ctx, engineAddress, tracingEndpoint)

	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, engineHealthInterval, stop); err != nil {
			return fmt.Errorf("could not start the engine health check: %w", err)
		}
	}

	cancelServer := make(chan bool)
	go func() {
		<-ctx.Done()
		// Stop node children first: GracefulStop waits for in-flight RPCs such as Run, and
		// those return only once their node process has exited.
		host.cancelAll()
		close(cancelServer)
	}()

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelServer,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		return fmt.Errorf("could not start the language host gRPC server: %w", err)
	}

	// The engine reads exactly this line to learn where to connect.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		return fmt.Errorf("language host gRPC server stopped: %w", err)
	}
	return nil
}
