package testenv

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// WriteScript writes an executable /bin/sh script named name in dir and
// returns its path.
func WriteScript(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// FreeLoopbackPort is a TCP port free on 127.0.0.1 when it returns (and,
// in practice, on the rest of 127.0.0.0/8).
func FreeLoopbackPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
