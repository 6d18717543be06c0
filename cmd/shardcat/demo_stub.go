package main

// TEMPORARY STAND-IN: delete this file in the same commit that adds
// cmd/shardcat/proxy.go with the real serveProxy, which it would clash with.

import (
	"context"
	"errors"
)

// serveProxy is the signature proxy.go will provide: it serves the Mycat
// conf dir until ctx is cancelled, calling ready once it listens.
func serveProxy(ctx context.Context, confDir string, s stdio, ready func(addr string)) error {
	return errors.New("proxy not built yet (cmd/shardcat/demo_stub.go is a stand-in for serveProxy in proxy.go)")
}
