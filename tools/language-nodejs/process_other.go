//go:build !linux

package main

import "os/exec"

// setParentDeathSignal: only Linux has a parent-death signal. Elsewhere the engine's
// process-group kill and our own cancellation are what stop node.
func setParentDeathSignal(*exec.Cmd) {}
