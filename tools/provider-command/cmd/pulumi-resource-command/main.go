// pulumi-resource-command is the plugin binary of cicd-platform's command provider.
package main

import (
	"context"
	"fmt"
	"os"

	provider "cicd-platform/tools/provider-command"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-version" {
		fmt.Println(provider.Version)
		return
	}
	if err := provider.Run(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
