// Package mariadb starts and stops independent mariadbd servers on loopback,
// each in its own directory, for integration tests, benchmarks and the demo.
//
// A server is started with --no-defaults, so the host's /etc/mysql settings
// never apply, and it listens only on 127.0.0.1 and a unix socket in its
// directory. The root account (no password) is reachable over the socket
// only; Options.User is the account clients use over TCP.
package mariadb

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Options describe one server. The zero value is usable except for Dir.
type Options struct {
	// Dir holds the datadir, socket, pid file, error log and TLS files.
	// It is created if missing. Required.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// User and Password name the account created for TCP clients, with
	// ALL PRIVILEGES WITH GRANT OPTION. Defaults: "bench" / "benchpw".
	User, Password string
	// Databases are created once the server is ready.
	Databases []string
	// TLS generates a self-signed certificate in Dir and serves TLS with it.
	TLS bool
	// ExtraArgs are appended to mariadbd's command line, e.g.
	// "--performance-schema=ON", "--local-infile=1", "--max-connections=50".
	ExtraArgs []string
	// StartTimeout bounds the wait for readiness; default 30 s.
	StartTimeout time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL; default 20 s.
	StopTimeout time.Duration
}

// Server is one running (or stopped) mariadbd.
type Server struct {
	opt      Options
	port     int
	binary   string
	dataDir  string
	socket   string
	errorLog string
	certFile string
	keyFile  string

	mu   sync.Mutex
	proc *process // nil when stopped
	root *sql.DB  // root over the unix socket, opened lazily
}

// process is one mariadbd process and the channel closed when it exits.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // set before exited is closed
}

// innodbLogFileSize keeps new datadirs small (34 MB instead of 114 MB), so
// copying the template is fast. The server must be started with the same
// value, or it would resize the log at every start.
const innodbLogFileSize = "--innodb-log-file-size=16M"

// Available reports the mariadbd binary, looked up on PATH and then in
// /usr/sbin and /usr/local/sbin, which are often not on a user's PATH.
func Available() (path string, ok bool) {
	if p, err := exec.LookPath("mariadbd"); err == nil {
		return p, true
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin"} {
		p := filepath.Join(dir, "mariadbd")
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// Start initialises a datadir in opt.Dir (unless one is already there, so a
// directory can be reused), starts mariadbd, waits until it accepts
// connections, and creates opt.User and opt.Databases.
func Start(ctx context.Context, opt Options) (*Server, error) {
	if opt.Dir == "" {
		return nil, errors.New("mariadb: Options.Dir is required")
	}
	if opt.User == "" {
		opt.User = "bench"
	}
	if opt.Password == "" {
		opt.Password = "benchpw"
	}
	if opt.StartTimeout == 0 {
		opt.StartTimeout = 30 * time.Second
	}
	if opt.StopTimeout == 0 {
		opt.StopTimeout = 20 * time.Second
	}
	bin, ok := Available()
	if !ok {
		return nil, errors.New("mariadb: mariadbd not found (apt-get install mariadb-server)")
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, err
	}
	opt.Dir = dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	s := &Server{
		opt:      opt,
		binary:   bin,
		dataDir:  filepath.Join(dir, "data"),
		socket:   filepath.Join(dir, "mysqld.sock"),
		errorLog: filepath.Join(dir, "error.log"),
	}
	// A unix socket path is limited to 107 bytes; deep temp dirs exceed it.
	if len(s.socket) > 100 {
		return nil, fmt.Errorf("mariadb: socket path %s is too long for a unix socket; use a shorter Dir", s.socket)
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "mysql")); errors.Is(err, os.ErrNotExist) {
		if err := newDataDir(ctx, s.dataDir); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	if opt.TLS {
		s.certFile = filepath.Join(dir, "server-cert.pem")
		s.keyFile = filepath.Join(dir, "server-key.pem")
		if err := WriteSelfSignedCert(s.certFile, s.keyFile); err != nil {
			return nil, err
		}
	}

	// A port picked by us can be taken by someone else before mariadbd binds
	// it (other tests run in parallel); pick again in that case.
	attempts := 1
	if opt.Port == 0 {
		attempts = 5
	}
	for i := 0; ; i++ {
		s.port = opt.Port
		if s.port == 0 {
			if s.port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		err = s.start(ctx)
		if err == nil || i+1 >= attempts || !errors.Is(err, errPortInUse) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if err := s.setup(ctx); err != nil {
		s.Kill()
		return nil, err
	}
	return s, nil
}

// errPortInUse marks a start that failed because the port was taken.
var errPortInUse = errors.New("port in use")

// start launches mariadbd and waits until it answers on its socket.
func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	if s.proc != nil {
		s.mu.Unlock()
		return fmt.Errorf("mariadb %s: already running", s.Addr())
	}
	s.mu.Unlock()
	logStart := fileSize(s.errorLog)
	args := []string{
		"--no-defaults", // must be first
		"--datadir=" + s.dataDir,
		"--port=" + strconv.Itoa(s.port),
		"--bind-address=127.0.0.1",
		"--socket=" + s.socket,
		"--pid-file=" + filepath.Join(s.opt.Dir, "mysqld.pid"),
		"--log-error=" + s.errorLog,
		"--user=root",
		"--skip-name-resolve",
		"--server-id=" + strconv.Itoa(s.port),
		"--innodb-buffer-pool-size=128M",
		innodbLogFileSize,
	}
	if s.opt.TLS {
		args = append(args, "--ssl-cert="+s.certFile, "--ssl-key="+s.keyFile)
	}
	args = append(args, s.opt.ExtraArgs...)
	cmd := exec.Command(s.binary, args...)
	cmd.Dir = s.opt.Dir
	// Own process group: a terminal's Ctrl-C reaches only us, and we stop
	// the server in order. Pdeathsig: no orphan server if we die abruptly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mariadb %s: start %s: %w", s.Addr(), s.binary, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	if err := s.waitReady(ctx, p); err != nil {
		s.kill(p)
		tail := logTail(s.errorLog, logStart, 15)
		if tail == "" {
			tail = strings.TrimSpace(stderr.String())
		}
		if strings.Contains(tail, "Address already in use") {
			err = fmt.Errorf("%w: %w", err, errPortInUse)
		}
		return fmt.Errorf("mariadb %s: %w\nerror log %s:\n%s", s.Addr(), err, s.errorLog, tail)
	}
	return nil
}

// waitReady polls the unix socket until a root login succeeds.
func (s *Server) waitReady(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.StartTimeout)
	defer cancel()
	db, err := sql.Open("mysql", s.rootDSN(""))
	if err != nil {
		return err
	}
	defer db.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		if _, err := os.Stat(s.socket); err == nil {
			pingCtx, pingCancel := context.WithTimeout(ctx, time.Second)
			lastErr = db.PingContext(pingCtx)
			pingCancel()
			if lastErr == nil {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("mariadbd exited during startup: %v", p.err)
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("not ready after %v: %w (last ping: %v)", s.opt.StartTimeout, ctx.Err(), lastErr)
			}
			return fmt.Errorf("not ready after %v: %w", s.opt.StartTimeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// setup removes the anonymous accounts (they shadow 'user'@'%' for TCP
// logins from 127.0.0.1) and root's TCP accounts, creates the client
// account and the databases.
// Every statement is idempotent so that a reused Dir works.
func (s *Server) setup(ctx context.Context) error {
	stmts := []string{
		"DELETE FROM mysql.global_priv WHERE User=''",
		// install-db also creates root@127.0.0.1, root@::1 and root@hostname
		// without a password; keep root on the socket only (and let
		// Options.User be "root" for TCP, with its password).
		"DELETE FROM mysql.global_priv WHERE User='root' AND Host <> 'localhost'",
		"FLUSH PRIVILEGES",
		fmt.Sprintf("CREATE USER IF NOT EXISTS %s@'%%'", quoteString(s.opt.User)),
		// ALTER too: a reused Dir may hold the account with another password.
		fmt.Sprintf("ALTER USER %s@'%%' IDENTIFIED VIA mysql_native_password USING PASSWORD(%s)",
			quoteString(s.opt.User), quoteString(s.opt.Password)),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON *.* TO %s@'%%' WITH GRANT OPTION", quoteString(s.opt.User)),
	}
	for _, db := range s.opt.Databases {
		stmts = append(stmts, "CREATE DATABASE IF NOT EXISTS "+QuoteIdent(db))
	}
	return s.Exec(ctx, stmts...)
}

// Addr is the TCP address, "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port is the TCP port.
func (s *Server) Port() int { return s.port }

// Dir is the server's directory (absolute).
func (s *Server) Dir() string { return s.opt.Dir }

// Socket is the unix socket path.
func (s *Server) Socket() string { return s.socket }

// ErrorLog is the path of mariadbd's error log.
func (s *Server) ErrorLog() string { return s.errorLog }

// User and Password are the TCP client account.
func (s *Server) User() string     { return s.opt.User }
func (s *Server) Password() string { return s.opt.Password }

// TLSFiles are the PEM certificate and key the server uses ("" without TLS).
// The certificate is self-signed, so it is also its own CA.
func (s *Server) TLSFiles() (certFile, keyFile string) { return s.certFile, s.keyFile }

// DSN is a go-sql-driver/mysql DSN for the client account over TCP.
func (s *Server) DSN(database string) string {
	c := mysql.NewConfig()
	c.User, c.Passwd = s.opt.User, s.opt.Password
	c.Net, c.Addr, c.DBName = "tcp", s.Addr(), database
	return c.FormatDSN()
}

// rootDSN is root over the unix socket; multiStatements is off so Exec's
// statements run one by one and an error names the statement.
func (s *Server) rootDSN(database string) string {
	c := mysql.NewConfig()
	c.User = "root"
	c.Net, c.Addr, c.DBName = "unix", s.socket, database
	c.Timeout = 5 * time.Second
	return c.FormatDSN()
}

// OpenRoot opens a pool logged in as root over the unix socket. The caller
// closes it.
func (s *Server) OpenRoot(database string) (*sql.DB, error) {
	return sql.Open("mysql", s.rootDSN(database))
}

// Exec runs statements in order as root on one connection, so session
// state (USE, SET) carries from one statement to the next.
func (s *Server) Exec(ctx context.Context, stmts ...string) error {
	s.mu.Lock()
	if s.root == nil {
		db, err := sql.Open("mysql", s.rootDSN(""))
		if err != nil {
			s.mu.Unlock()
			return err
		}
		db.SetMaxIdleConns(1)
		s.root = db
	}
	db := s.root
	s.mu.Unlock()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mariadb %s: %w", s.Addr(), err)
	}
	defer conn.Close()
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("mariadb %s: %s: %w", s.Addr(), abbreviate(stmt), err)
		}
	}
	return nil
}

// Running reports whether the process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// PID is the process id, or 0 when stopped.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// detach forgets the current process and closes the root pool, whose
// connections die with the server.
func (s *Server) detach() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	s.proc = nil
	if s.root != nil {
		s.root.Close()
		s.root = nil
	}
	return p
}

// Stop shuts the server down cleanly: SIGTERM, then SIGKILL if it is still
// running after Options.StopTimeout. Stopping a stopped server is a no-op.
func (s *Server) Stop() error {
	p := s.detach()
	if p == nil {
		return nil
	}
	select {
	case <-p.exited:
		return nil // already dead (crashed, or killed from outside)
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(s.opt.StopTimeout):
		s.kill(p)
		return fmt.Errorf("mariadb %s: no exit %v after SIGTERM; killed", s.Addr(), s.opt.StopTimeout)
	}
}

// Kill ends the server with SIGKILL, as a crash would (for failure tests).
// The datadir survives; Restart recovers it.
func (s *Server) Kill() error {
	p := s.detach()
	if p == nil {
		return nil
	}
	s.kill(p)
	return nil
}

func (s *Server) kill(p *process) {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Restart stops the server if it is running and starts it again on the same
// datadir and port.
func (s *Server) Restart(ctx context.Context) error {
	stopErr := s.Stop() // a stop that needed SIGKILL still leaves it stopped
	if err := s.Start(ctx); err != nil {
		return errors.Join(stopErr, err)
	}
	return nil
}

// Start starts a stopped server again on the same datadir and port.
func (s *Server) Start(ctx context.Context) error {
	// After SIGKILL the kernel may hold the port briefly; retry a few times.
	var err error
	for i := 0; i < 10; i++ {
		if err = s.start(ctx); err == nil || !errors.Is(err, errPortInUse) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("mariadb: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// QuoteIdent quotes a MySQL identifier with backticks.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// quoteString quotes a MySQL string literal.
func quoteString(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(v) + "'"
}

func abbreviate(stmt string) string {
	if len(stmt) > 120 {
		return stmt[:117] + "..."
	}
	return stmt
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// logTail returns the last n lines written to the log after offset from.
func logTail(path string, from int64, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if from <= int64(len(b)) {
		b = b[from:]
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
