// Command pulumi-resource-gitlab is the gitlab resource plugin.
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"

	provider "cicd-platform/tools/provider-gitlab"
)

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(provider.Version)
		return
	}
	if err := p.RunProvider(context.Background(), provider.Name, provider.Version, provider.New()); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
