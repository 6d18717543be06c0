package mysql

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Handler is what the server calls once a client is connected. A method
// that returns an error without having written a response gets that error
// sent as an ERR packet (an *SQLError keeps its code; anything else becomes
// ER_UNKNOWN_ERROR). Embed BaseHandler to refuse what you do not implement.
type Handler interface {
	// Authenticate accepts or refuses a login: return nil to accept, an
	// error (ideally *SQLError ER_ACCESS_DENIED or ER_BAD_DB) to refuse.
	// req.CheckPassword(plaintext) verifies the client's proof whatever the
	// auth method. req.Database is the schema asked with CONNECT_WITH_DB.
	Authenticate(c *Conn, req *AuthRequest) error
	// ComQuery runs one COM_QUERY and writes its result(s) through c.
	ComQuery(c *Conn, query string) error
	// ComInitDB changes the default schema; on success the server writes OK.
	ComInitDB(c *Conn, schema string) error
	// ComFieldList writes column definitions then an EOF through
	// c.WriteFieldList.
	ComFieldList(c *Conn, table, wildcard string) error
	// ComStmtPrepare returns the statement's shape; the server assigns the
	// id and writes COM_STMT_PREPARE_OK.
	ComStmtPrepare(c *Conn, query string) (*Stmt, error)
	// ComStmtExecute runs a prepared statement; results written through c
	// use the binary protocol automatically.
	ComStmtExecute(c *Conn, stmt *Stmt, req *ExecuteRequest) error
	// ComStmtClose tells the handler a statement is gone (no response).
	ComStmtClose(c *Conn, stmt *Stmt)
	// ComStmtReset: the server has dropped long data; on success it writes OK.
	ComStmtReset(c *Conn, stmt *Stmt) error
	// ComResetConnection resets session state; on success the server writes OK.
	ComResetConnection(c *Conn) error
	// ComChangeUser re-authenticates as another user (req as in
	// Authenticate) and resets the session; on success the server writes OK.
	ComChangeUser(c *Conn, req *AuthRequest) error
	// ComSetOption is told about MULTI_STATEMENTS on/off; on success the
	// server writes EOF.
	ComSetOption(c *Conn, option uint16) error
	// ComPing may refuse (a proxy put offline); on success the server writes OK.
	ComPing(c *Conn) error
	// ConnectionClosed is called once per connection that passed
	// authentication, when it ends for any reason.
	ConnectionClosed(c *Conn)
}

// BaseHandler gives every optional Handler method a sensible default.
type BaseHandler struct{}

func (BaseHandler) ComInitDB(c *Conn, schema string) error {
	c.SetSchema(schema)
	return nil
}
func (BaseHandler) ComFieldList(c *Conn, table, wildcard string) error {
	return NewSQLError(ERNotSupportedYet, "COM_FIELD_LIST is not supported")
}
func (BaseHandler) ComStmtPrepare(c *Conn, query string) (*Stmt, error) {
	return nil, NewSQLError(ERNotSupportedYet, "prepared statements are not supported")
}
func (BaseHandler) ComStmtExecute(c *Conn, stmt *Stmt, req *ExecuteRequest) error {
	return NewSQLError(ERNotSupportedYet, "prepared statements are not supported")
}
func (BaseHandler) ComStmtClose(c *Conn, stmt *Stmt)          {}
func (BaseHandler) ComStmtReset(c *Conn, stmt *Stmt) error    { return nil }
func (BaseHandler) ComResetConnection(c *Conn) error          { return nil }
func (BaseHandler) ComSetOption(c *Conn, option uint16) error { return nil }
func (BaseHandler) ComPing(c *Conn) error                     { return nil }
func (BaseHandler) ConnectionClosed(c *Conn)                  {}
func (BaseHandler) ComChangeUser(c *Conn, req *AuthRequest) error {
	return NewSQLError(ERNotSupportedYet, "COM_CHANGE_USER is not supported")
}

// Server accepts MySQL clients. Configure the exported fields before Serve.
type Server struct {
	Handler Handler
	// ServerVersion is announced in the greeting (default "5.7.40-shardcat").
	ServerVersion string
	// AuthPlugin is the method asked in the greeting (default
	// mysql_native_password). UserAuthPlugin, when set, picks the method per
	// user; a client that answered with another one gets an auth switch.
	AuthPlugin     string
	UserAuthPlugin func(user string) string
	// TLSConfig enables CLIENT_SSL; RequireTLS refuses clients without it.
	TLSConfig  *tls.Config
	RequireTLS bool
	// RSAKey answers caching_sha2_password public key requests; generated
	// (2048 bits) on first need when nil.
	RSAKey *rsa.PrivateKey
	// MaxPacketSize limits packets from clients (default 64 MiB).
	MaxPacketSize int
	// HandshakeTimeout bounds the login exchange (default 10 s).
	HandshakeTimeout time.Duration
	// IdleTimeout closes a connection silent for this long between
	// commands (MySQL's wait_timeout; 0: never).
	IdleTimeout time.Duration
	// MaxConnections refuses clients beyond this many with ER_CON_COUNT
	// (0: unlimited).
	MaxConnections int
	// Compression announces CLIENT_COMPRESS (zlib compressed protocol).
	Compression bool
	// SessionTrack announces CLIENT_SESSION_TRACK.
	SessionTrack bool
	Logger       *slog.Logger

	keyOnce sync.Once
	keyErr  error

	nextConnID atomic.Uint32
	cacheMu    sync.Mutex
	sha2Cache  map[string][32]byte // user -> SHA256(SHA256(password))

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*Conn]struct{}
	closed    bool
	wg        sync.WaitGroup
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("mysql: server closed")

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Server) serverVersion() string {
	if s.ServerVersion != "" {
		return s.ServerVersion
	}
	return "5.7.40-shardcat"
}

func (s *Server) pluginFor(user string) string {
	if s.UserAuthPlugin != nil {
		if p := s.UserAuthPlugin(user); p != "" {
			return p
		}
	}
	if s.AuthPlugin != "" {
		return s.AuthPlugin
	}
	return AuthNativePassword
}

func (s *Server) rsaKey() (*rsa.PrivateKey, error) {
	s.keyOnce.Do(func() {
		if s.RSAKey == nil {
			s.RSAKey, s.keyErr = rsa.GenerateKey(rand.Reader, 2048)
		}
	})
	return s.RSAKey, s.keyErr
}

// PublicKeyPEM is the PEM of the key used for caching_sha2_password (what a
// client may pin as its server public key).
func (s *Server) PublicKeyPEM() ([]byte, error) {
	k, err := s.rsaKey()
	if err != nil {
		return nil, err
	}
	return MarshalPublicKeyPEM(&k.PublicKey)
}

// capabilities is what the server announces.
func (s *Server) capabilities() uint32 {
	c := ClientLongPassword | ClientFoundRows | ClientLongFlag | ClientConnectWithDB |
		ClientNoSchema | ClientLocalFiles | ClientIgnoreSpace | ClientProtocol41 | ClientInteractive |
		ClientIgnoreSigpipe | ClientTransactions | ClientSecureConnection | ClientMultiStatements |
		ClientMultiResults | ClientPSMultiResults | ClientPluginAuth | ClientConnectAttrs |
		ClientPluginAuthLenencClientData | ClientDeprecateEOF
	if s.TLSConfig != nil {
		c |= ClientSSL
	}
	if s.SessionTrack {
		c |= ClientSessionTrack
	}
	if s.Compression {
		c |= ClientCompress
	}
	return c
}

// Serve accepts connections on l until Close, one goroutine per client.
func (s *Server) Serve(l net.Listener) error {
	if s.Handler == nil {
		return errors.New("mysql: Server.Handler is nil")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Temporary trouble (e.g. EMFILE): back off like net/http.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.ServeConn(nc)
		}()
	}
}

// Close stops every listener and closes every connection, then waits for
// the connection goroutines to finish.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.cancel()
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// CloseConnection closes the connection with the given id (for KILL) and
// reports whether it existed.
func (s *Server) CloseConnection(id uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.id == id {
			c.Close()
			return true
		}
	}
	return false
}

// ConnectionCount is the number of clients currently connected.
func (s *Server) ConnectionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) track(c *Conn) (ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = map[*Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// ServeConn runs one client connection to completion (the caller may have
// wrapped nc, e.g. to apply a PROXY protocol header). It closes nc.
func (s *Server) ServeConn(nc net.Conn) {
	c := newConn(s, nc)
	defer c.cancel()
	defer nc.Close()
	if !s.track(c) {
		return
	}
	defer s.untrack(c)
	authenticated := false
	defer func() {
		if r := recover(); r != nil {
			s.logger().Error("mysql connection panic", "conn", c.id, "remote", c.RemoteAddr(),
				"panic", r, "stack", string(debug.Stack()))
		}
		c.pc.Close()
		if authenticated {
			s.safeClosed(c)
		}
	}()
	if s.MaxConnections > 0 && s.ConnectionCount() > s.MaxConnections {
		c.pc.ResetSequence()
		c.writeErrFlush(NewSQLError(ERConCount, "Too many connections"))
		return
	}
	timeout := s.HandshakeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	nc.SetDeadline(time.Now().Add(timeout))
	if err := c.handshake(); err != nil {
		if !isClosedError(err) {
			s.logger().Info("mysql handshake failed", "conn", c.id, "remote", c.RemoteAddr(), "err", err)
		}
		return
	}
	nc.SetDeadline(time.Time{})
	authenticated = true
	c.serve()
}

func (s *Server) safeClosed(c *Conn) {
	defer func() {
		if r := recover(); r != nil {
			s.logger().Error("mysql ConnectionClosed panic", "conn", c.id, "panic", r)
		}
	}()
	s.Handler.ConnectionClosed(c)
}

func isClosedError(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// ListenAndServe listens on addr (e.g. "127.0.0.1:8066") and serves.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

func (s *Server) cachedDigest(user string) ([32]byte, bool) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	d, ok := s.sha2Cache[user]
	return d, ok
}

func (s *Server) cacheDigest(user, password string) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.sha2Cache == nil {
		s.sha2Cache = map[string][32]byte{}
	}
	s.sha2Cache[user] = cachingSHA2Digest(password)
}

// ForgetCachedPassword drops a user from the caching_sha2_password fast
// auth cache (call it when a password changes).
func (s *Server) ForgetCachedPassword(user string) {
	s.cacheMu.Lock()
	delete(s.sha2Cache, user)
	s.cacheMu.Unlock()
}
