package main

import (
	"context"
	"fmt"
)

// version is set with -ldflags "-X main.version=..." by release builds.
var version = "0.1.0-dev"

func init() {
	register(&command{
		name:    "version",
		summary: "print the version",
		run: func(_ context.Context, _ []string, s stdio) int {
			fmt.Fprintln(s.out, "shardcat", version)
			return 0
		},
	})
}
