package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ShardServer is one running shard: a real MariaDB server, or the embedded
// engine when mariadbd is not installed.
type ShardServer interface {
	Addr() string
	Stop() error
	// Open connects directly to database on the shard, bypassing the proxy.
	Open(database string) (*sql.DB, error)
	// Kind names the engine for the demo's banner.
	Kind() string
}

// mariadbShard adapts a MariaDB server.
type mariadbShard struct {
	srv interface {
		Addr() string
		Stop() error
		OpenRoot(string) (*sql.DB, error)
	}
}

func (m mariadbShard) Addr() string                    { return m.srv.Addr() }
func (m mariadbShard) Stop() error                     { return m.srv.Stop() }
func (m mariadbShard) Open(db string) (*sql.DB, error) { return m.srv.OpenRoot(db) }
func (m mariadbShard) Kind() string                    { return "MariaDB" }

// EmbeddedDir is where the embedded engine's module lives, relative to the
// repository root (`go run ./cmd/shardcat demo` runs from there).
const EmbeddedDir = "tools/embedded-mysql"

// ErrNoEngine is returned when neither mariadbd nor the embedded engine's
// source is available.
var ErrNoEngine = errors.New("demo: mariadbd is not installed and " + EmbeddedDir + " was not found: run the demo from the repository root, or install mariadb-server")

// embeddedShard is one tools/embedded-mysql process.
type embeddedShard struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

func (e *embeddedShard) Addr() string { return e.addr }
func (e *embeddedShard) Kind() string { return "embedded engine (go-mysql-server, in memory)" }

func (e *embeddedShard) Open(database string) (*sql.DB, error) {
	c := mysql.NewConfig()
	c.User, c.Net, c.Addr, c.DBName = "root", "tcp", e.addr, database
	return sql.Open("mysql", c.FormatDSN())
}

func (e *embeddedShard) Stop() error {
	e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
		e.cmd.Process.Kill()
		<-e.done
	}
	return nil
}

// buildEmbedded compiles the engine once into dir and returns the binary.
// Its module is separate, so the first build downloads and compiles
// go-mysql-server (a few minutes); later builds come from Go's cache.
func buildEmbedded(ctx context.Context, dir string) (string, error) {
	src, err := findEmbeddedDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "embedded-mysql")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("demo: building the embedded engine: %v\n%s", err, out)
	}
	return bin, nil
}

// findEmbeddedDir looks for the engine's module in the working directory
// and its parents (tests run in a package directory).
func findEmbeddedDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		src := filepath.Join(dir, EmbeddedDir)
		if _, err := os.Stat(filepath.Join(src, "go.mod")); err == nil {
			return src, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoEngine
		}
		dir = parent
	}
}

// startEmbedded starts one engine process serving database on loopback.
func startEmbedded(ctx context.Context, bin, dir, database string) (*embeddedShard, error) {
	ready := filepath.Join(dir, database+".ready")
	os.Remove(ready)
	logf, err := os.Create(filepath.Join(dir, database+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--database", database, "--ready-file", ready)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	e := &embeddedShard{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(e.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			e.addr = strings.TrimSpace(string(b))
			return e, nil
		}
		select {
		case <-e.done:
			log, _ := os.ReadFile(filepath.Join(dir, database+".log"))
			return nil, fmt.Errorf("demo: embedded engine for %s exited: %s", database, log)
		case <-ctx.Done():
			e.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			e.Stop()
			return nil, fmt.Errorf("demo: embedded engine for %s did not start in 30 s", database)
		}
	}
}
