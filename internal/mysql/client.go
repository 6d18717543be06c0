package mysql

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DialOptions tune a backend connection; the zero value is usable.
type DialOptions struct {
	// TLSConfig upgrades the connection with an SSLRequest; the dial fails
	// if the server does not offer TLS.
	TLSConfig *tls.Config
	// ServerPubKey encrypts the password for caching_sha2_password full
	// authentication without TLS. Without it, AllowPublicKeyRetrieval lets
	// the client ask the server for its key (trusting the network path).
	ServerPubKey            *rsa.PublicKey
	AllowPublicKeyRetrieval bool
	// LocalAddr is the connection's source address; nil = any.
	LocalAddr net.Addr
	// Charset is the connection collation id (default utf8mb4_general_ci).
	Charset uint8
	// MaxPacketSize limits packets read and written (default 64 MiB).
	MaxPacketSize int
	// ExtraCapabilities are ORed into the requested capabilities (e.g.
	// ClientFoundRows); DisableDeprecateEOF asks for EOF-terminated results.
	ExtraCapabilities   uint32
	DisableDeprecateEOF bool
	// Compression asks for the zlib compressed protocol (if the server has it).
	Compression  bool
	ConnectAttrs map[string]string
	// Timeout bounds the TCP connect and login when ctx has no deadline
	// (default 10 s).
	Timeout time.Duration
}

// ClientConn is a connection to a MySQL/MariaDB server. It is not safe for
// concurrent use. After an I/O or protocol error it is broken for good
// (IsBroken); an ERR from the server (*SQLError) leaves it usable.
type ClientConn struct {
	pc           *PacketConn
	addr         string
	greeting     *Greeting
	capabilities uint32
	status       uint16
	warnings     uint16
	// lastCommand tells whether the response being read has binary rows
	// (COM_STMT_EXECUTE) or text rows.
	lastCommand byte
	nc          net.Conn // the TCP connection under any TLS or compression
	broken      atomic.Bool
	errMu       sync.Mutex
	err         error // why the connection broke; set once
}

// ClientStmt is a statement prepared on the backend.
type ClientStmt struct {
	ID      uint32
	Params  []*ColumnDef
	Columns []*ColumnDef
}

// ResultHeader is the start of a response: OK (Columns nil) or the column
// definitions of a result set whose rows follow.
type ResultHeader struct {
	OK      *OKPacket
	Columns []*ColumnDef
}

// clientCapabilities are always requested.
const clientCapabilities = ClientLongPassword | ClientLongFlag | ClientProtocol41 | ClientTransactions |
	ClientSecureConnection | ClientMultiStatements | ClientMultiResults | ClientPSMultiResults |
	ClientPluginAuth | ClientPluginAuthLenencClientData | ClientDeprecateEOF | ClientConnectAttrs |
	ClientLocalFiles

// Dial connects to addr and logs in; db may be empty.
func Dial(ctx context.Context, addr, user, password, db string, opts *DialOptions) (*ClientConn, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	if _, ok := ctx.Deadline(); !ok {
		timeout := opts.Timeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	d := net.Dialer{LocalAddr: opts.LocalAddr}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	// Closing the socket is what interrupts a blocked read when ctx ends.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	cc := &ClientConn{pc: NewPacketConn(nc), addr: addr, nc: nc}
	cc.pc.MaxPacketSize = opts.MaxPacketSize
	if err := cc.login(user, password, db, opts); err != nil {
		nc.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("mysql: dial %s: %w", addr, ctx.Err())
		}
		var se *SQLError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, fmt.Errorf("mysql: dial %s: %w", addr, err)
	}
	nc.SetDeadline(time.Time{})
	return cc, nil
}

func (cc *ClientConn) login(user, password, db string, opts *DialOptions) error {
	payload, err := cc.pc.ReadPacket()
	if err != nil {
		return err
	}
	g, err := DecodeGreeting(payload)
	if err != nil {
		return err
	}
	cc.greeting = g
	if g.Capabilities&ClientProtocol41 == 0 {
		return errors.New("server does not support protocol 4.1")
	}
	want := clientCapabilities | opts.ExtraCapabilities
	if opts.DisableDeprecateEOF {
		want &^= ClientDeprecateEOF
	}
	if db != "" {
		want |= ClientConnectWithDB
	}
	if opts.TLSConfig != nil {
		want |= ClientSSL
	}
	if opts.Compression {
		want |= ClientCompress
	}
	caps := want & g.Capabilities
	cc.capabilities = caps
	charset := opts.Charset
	if charset == 0 {
		charset = CharsetUTF8MB4GeneralCI
	}
	maxPacket := uint32(cc.pc.maxSize())
	tlsOn := false
	if opts.TLSConfig != nil {
		if caps&ClientSSL == 0 {
			return errors.New("server does not support TLS")
		}
		if err := cc.pc.WritePacketFlush(AppendSSLRequest(nil, caps, maxPacket, charset)); err != nil {
			return err
		}
		tc := cc.pc.upgrade(func(nc net.Conn) net.Conn { return tls.Client(nc, opts.TLSConfig) }).(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		tlsOn = true
	}
	plugin := g.AuthPlugin
	if plugin != AuthCachingSHA2Password && plugin != AuthClearPassword {
		plugin = AuthNativePassword
	}
	scramble := g.AuthData
	resp, err := authResponse(plugin, scramble, password, tlsOn)
	if err != nil {
		return err
	}
	hr := &HandshakeResponse{
		Capabilities: caps, MaxPacketSize: maxPacket, Charset: charset, User: user,
		AuthResponse: resp, Database: db, AuthPlugin: plugin, Attributes: opts.ConnectAttrs,
	}
	if err := cc.pc.WritePacketFlush(AppendHandshakeResponse(nil, hr)); err != nil {
		return err
	}
	for {
		p, err := cc.pc.ReadPacket()
		if err != nil {
			return err
		}
		if len(p) == 0 {
			return malformed("empty packet during authentication")
		}
		switch p[0] {
		case okHeader:
			ok, err := DecodeOK(p, caps)
			if err != nil {
				return err
			}
			cc.status = ok.Status
			if caps&ClientCompress != 0 {
				cc.pc.enableCompression()
			}
			return nil
		case errHeader:
			se, err := DecodeErr(p)
			if err != nil {
				return err
			}
			return se
		case eofHeader:
			if plugin, scramble, err = DecodeAuthSwitchRequest(p); err != nil {
				return err
			}
			if len(scramble) > 20 {
				scramble = scramble[:20]
			}
			if resp, err = authResponse(plugin, scramble, password, tlsOn); err != nil {
				return err
			}
			if err := cc.pc.WritePacketFlush(resp); err != nil {
				return err
			}
		case authMoreDataHeader:
			if plugin != AuthCachingSHA2Password || len(p) < 2 {
				return malformed("unexpected auth more-data packet")
			}
			switch p[1] {
			case cachingSHA2FastAuthSuccess:
				// The OK follows.
			case cachingSHA2PerformFullAuth:
				if err := cc.fullAuth(password, scramble, tlsOn, opts); err != nil {
					return err
				}
			default:
				return malformed("unknown caching_sha2_password status")
			}
		default:
			return malformed(fmt.Sprintf("unexpected packet 0x%02x during authentication", p[0]))
		}
	}
}

func authResponse(plugin string, scramble []byte, password string, tlsOn bool) ([]byte, error) {
	switch plugin {
	case AuthNativePassword:
		return ScrambleNativePassword(scramble, password), nil
	case AuthCachingSHA2Password:
		return ScrambleCachingSHA2Password(scramble, password), nil
	case AuthClearPassword:
		if !tlsOn {
			return nil, errors.New("server asks mysql_clear_password without TLS")
		}
		return append([]byte(password), 0), nil
	default:
		return nil, fmt.Errorf("unsupported auth plugin %q", plugin)
	}
}

// fullAuth sends the password for caching_sha2_password full authentication.
func (cc *ClientConn) fullAuth(password string, scramble []byte, tlsOn bool, opts *DialOptions) error {
	if tlsOn {
		return cc.pc.WritePacketFlush(append([]byte(password), 0))
	}
	pub := opts.ServerPubKey
	if pub == nil {
		if !opts.AllowPublicKeyRetrieval {
			return errors.New("caching_sha2_password full authentication needs TLS, ServerPubKey or AllowPublicKeyRetrieval")
		}
		if err := cc.pc.WritePacketFlush([]byte{cachingSHA2RequestPublicKey}); err != nil {
			return err
		}
		p, err := cc.pc.ReadPacket()
		if err != nil {
			return err
		}
		if len(p) == 0 || p[0] != authMoreDataHeader {
			if IsErrPacket(p) {
				if se, err := DecodeErr(p); err == nil {
					return se
				}
			}
			return malformed("expected the server public key")
		}
		if pub, err = ParsePublicKeyPEM(p[1:]); err != nil {
			return err
		}
	}
	enc, err := EncryptPassword(password, scramble, pub)
	if err != nil {
		return err
	}
	return cc.pc.WritePacketFlush(enc)
}

// ServerVersion is the version string from the server's greeting.
func (cc *ClientConn) ServerVersion() string { return cc.greeting.ServerVersion }

// ConnectionID is the server's id for this connection (for KILL).
func (cc *ClientConn) ConnectionID() uint32 { return cc.greeting.ConnectionID }

// Capabilities are the negotiated capability flags.
func (cc *ClientConn) Capabilities() uint32 { return cc.capabilities }

// DeprecateEOF reports whether result sets end with OK instead of EOF.
func (cc *ClientConn) DeprecateEOF() bool { return cc.capabilities&ClientDeprecateEOF != 0 }

// Status is the server status from the last OK or EOF read.
func (cc *ClientConn) Status() uint16 { return cc.status }

// Warnings is the warning count from the last OK or EOF read.
func (cc *ClientConn) Warnings() uint16 { return cc.warnings }

// Addr is the address dialed.
func (cc *ClientConn) Addr() string { return cc.addr }

// IsBroken reports an I/O or protocol failure: the connection must be discarded.
func (cc *ClientConn) IsBroken() bool { return cc.broken.Load() }

// Err is the error that broke the connection (nil while healthy).
func (cc *ClientConn) Err() error {
	cc.errMu.Lock()
	defer cc.errMu.Unlock()
	return cc.err
}

// Abort breaks the connection from any goroutine: a read or write blocked
// on it returns at once with an error wrapping cause.
func (cc *ClientConn) Abort(cause error) { cc.fail(cause) }

// AbortOnCancel aborts the connection when ctx ends (e.g. the client
// connection a query runs for, Conn.Context). Call stop once the guarded
// work is over; it reports whether it prevented the abort.
func (cc *ClientConn) AbortOnCancel(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { cc.Abort(context.Cause(ctx)) })
}

// SetDeadline sets the read and write deadline of the underlying connection.
func (cc *ClientConn) SetDeadline(t time.Time) error { return cc.pc.Conn().SetDeadline(t) }

// fail marks the connection broken and closes it; it returns err wrapped
// with the address.
func (cc *ClientConn) fail(err error) error {
	cc.errMu.Lock()
	defer cc.errMu.Unlock()
	if cc.err == nil {
		cc.err = fmt.Errorf("mysql: backend %s: %w", cc.addr, err)
		cc.broken.Store(true)
		cc.nc.Close()
	}
	return cc.err
}

func (cc *ClientConn) readPacket() ([]byte, error) {
	if cc.IsBroken() {
		return nil, cc.Err()
	}
	p, err := cc.pc.ReadPacket()
	if err != nil {
		return nil, cc.fail(err)
	}
	if len(p) == 0 {
		return nil, cc.fail(malformed("empty packet"))
	}
	return p, nil
}

// readPacketShared is readPacket into the reused buffer (valid until the
// next read).
func (cc *ClientConn) readPacketShared() ([]byte, error) {
	if cc.IsBroken() {
		return nil, cc.Err()
	}
	p, err := cc.pc.ReadPacketShared()
	if err != nil {
		return nil, cc.fail(err)
	}
	if len(p) == 0 {
		return nil, cc.fail(malformed("empty packet"))
	}
	return p, nil
}

// BinaryRows reports whether the response being read carries binary rows
// (the last command sent was COM_STMT_EXECUTE).
func (cc *ClientConn) BinaryRows() bool { return cc.lastCommand == ComStmtExecute }

// ReadPacket reads the next raw packet of the current response.
func (cc *ClientConn) ReadPacket() ([]byte, error) { return cc.readPacket() }

// WriteCommand sends one command packet (sequence id 0): cmd then arg.
func (cc *ClientConn) WriteCommand(cmd byte, arg []byte) error {
	if cc.IsBroken() {
		return cc.Err()
	}
	cc.pc.ResetSequence()
	cc.lastCommand = cmd
	payload := make([]byte, 0, 1+len(arg))
	payload = append(append(payload, cmd), arg...)
	if err := cc.pc.WritePacketFlush(payload); err != nil {
		if errors.Is(err, ErrPacketTooLarge) {
			return err // nothing was sent: the connection is still in step
		}
		return cc.fail(err)
	}
	return nil
}

// WriteCommandPayload sends an already built command payload (first byte is
// the command), e.g. from AppendStmtExecute or copied from a client.
func (cc *ClientConn) WriteCommandPayload(payload []byte) error {
	if len(payload) == 0 {
		return errors.New("mysql: empty command")
	}
	return cc.WriteCommand(payload[0], payload[1:])
}

// decodeTerminator reads an EOF or (DEPRECATE_EOF) OK ending a result set.
func (cc *ClientConn) decodeTerminator(p []byte) (warnings, status uint16, err error) {
	if cc.DeprecateEOF() {
		ok, err := DecodeOK(p, cc.capabilities)
		if err != nil {
			return 0, 0, err
		}
		warnings, status = ok.Warnings, ok.Status
	} else if warnings, status, err = DecodeEOF(p); err != nil {
		return 0, 0, err
	}
	cc.warnings, cc.status = warnings, status
	return warnings, status, nil
}

// ReadResultHeader reads the start of a response to COM_QUERY or
// COM_STMT_EXECUTE. A server ERR is returned as *SQLError.
func (cc *ClientConn) ReadResultHeader() (*ResultHeader, error) {
	p, err := cc.readPacket()
	if err != nil {
		return nil, err
	}
	switch p[0] {
	case errHeader:
		se, err := DecodeErr(p)
		if err != nil {
			return nil, cc.fail(err)
		}
		return nil, se
	case okHeader:
		ok, err := DecodeOK(p, cc.capabilities)
		if err != nil {
			return nil, cc.fail(err)
		}
		cc.status, cc.warnings = ok.Status, ok.Warnings
		return &ResultHeader{OK: ok}, nil
	case localInfileHeader:
		// Refuse by sending an empty file, which keeps the exchange in step.
		if err := cc.pc.WritePacketFlush(nil); err != nil {
			return nil, cc.fail(err)
		}
		if _, err := cc.ReadResultHeader(); err != nil {
			return nil, err
		}
		return nil, NewSQLError(ERNotSupportedYet, "LOAD DATA LOCAL INFILE is not supported")
	}
	n, _, _, err := ReadLenEncInt(p)
	if err != nil || n == 0 || n > 1<<17 { // a SELECT may have up to 65535 expressions
		return nil, cc.fail(malformed("result set column count"))
	}
	cols, err := cc.readDefinitions(int(n))
	if err != nil {
		return nil, err
	}
	return &ResultHeader{Columns: cols}, nil
}

// readDefinitions reads n column definition packets and, without
// CLIENT_DEPRECATE_EOF, the EOF that ends them (none when n is 0).
func (cc *ClientConn) readDefinitions(n int) ([]*ColumnDef, error) {
	if n == 0 {
		return nil, nil
	}
	defs := make([]*ColumnDef, n)
	for i := range defs {
		p, err := cc.readPacket()
		if err != nil {
			return nil, err
		}
		if defs[i], err = DecodeColumnDef(p); err != nil {
			return nil, cc.fail(err)
		}
	}
	if !cc.DeprecateEOF() {
		p, err := cc.readPacket()
		if err != nil {
			return nil, err
		}
		if !IsEOFPacket(p) {
			return nil, cc.fail(malformed("expected EOF after definitions"))
		}
	}
	return defs, nil
}

// ReadRow reads the next raw row payload of an open result set; end is true
// at the terminator (Status and Warnings are then updated). A server ERR in
// the middle of rows is returned as *SQLError.
func (cc *ClientConn) ReadRow() (payload []byte, end bool, err error) {
	return cc.readRow(cc.readPacket)
}

// ReadRowShared is ReadRow without an allocation per row: payload is only
// valid until the next read on cc (copy it, or write it on at once).
func (cc *ClientConn) ReadRowShared() (payload []byte, end bool, err error) {
	return cc.readRow(cc.readPacketShared)
}

func (cc *ClientConn) readRow(read func() ([]byte, error)) (payload []byte, end bool, err error) {
	p, err := read()
	if err != nil {
		return nil, false, err
	}
	switch {
	case IsErrPacket(p):
		se, err := DecodeErr(p)
		if err != nil {
			return nil, false, cc.fail(err)
		}
		return nil, false, se
	case IsEOFPacket(p):
		if _, _, err := cc.decodeTerminator(p); err != nil {
			return nil, false, cc.fail(err)
		}
		return nil, true, nil
	}
	return p, false, nil
}

// ReadResult reads one whole result and decodes rows (binary rows for
// COM_STMT_EXECUTE are converted to text form).
func (cc *ClientConn) ReadResult(binaryRows bool) (*Result, error) {
	h, err := cc.ReadResultHeader()
	if err != nil {
		return nil, err
	}
	if h.OK != nil {
		return &Result{AffectedRows: h.OK.AffectedRows, LastInsertID: h.OK.LastInsertID,
			Status: h.OK.Status, Warnings: h.OK.Warnings, Info: h.OK.Info}, nil
	}
	r := &Result{Columns: h.Columns}
	for {
		p, end, err := cc.ReadRow()
		if err != nil {
			return nil, err
		}
		if end {
			r.Status, r.Warnings = cc.status, cc.warnings
			return r, nil
		}
		var row Row
		if binaryRows {
			row, err = DecodeBinaryRow(p, h.Columns)
		} else {
			row, err = DecodeTextRow(p, len(h.Columns))
		}
		if err != nil {
			return nil, cc.fail(err)
		}
		r.Rows = append(r.Rows, row)
	}
}

// readResults reads every result of a response (multi-statements).
func (cc *ClientConn) readResults(binaryRows bool) ([]*Result, error) {
	var out []*Result
	for {
		r, err := cc.ReadResult(binaryRows)
		if err != nil {
			return out, err
		}
		out = append(out, r)
		if r.Status&ServerMoreResultsExists == 0 {
			return out, nil
		}
	}
}

// Execute runs sql with COM_QUERY and returns its first result, reading and
// discarding any further ones (their first error is returned).
func (cc *ClientConn) Execute(sql string) (*Result, error) {
	rs, err := cc.ExecuteMulti(sql)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// ExecuteMulti runs sql with COM_QUERY and returns every result.
func (cc *ClientConn) ExecuteMulti(sql string) ([]*Result, error) {
	if err := cc.WriteCommand(ComQuery, []byte(sql)); err != nil {
		return nil, err
	}
	return cc.readResults(false)
}

// simpleCommand sends a command answered by OK or ERR.
func (cc *ClientConn) simpleCommand(cmd byte, arg []byte) error {
	if err := cc.WriteCommand(cmd, arg); err != nil {
		return err
	}
	p, err := cc.readPacket()
	if err != nil {
		return err
	}
	switch {
	case IsErrPacket(p):
		se, err := DecodeErr(p)
		if err != nil {
			return cc.fail(err)
		}
		return se
	case p[0] == okHeader:
		ok, err := DecodeOK(p, cc.capabilities)
		if err != nil {
			return cc.fail(err)
		}
		cc.status, cc.warnings = ok.Status, ok.Warnings
		return nil
	}
	return cc.fail(malformed(fmt.Sprintf("expected OK or ERR, got 0x%02x", p[0])))
}

// Ping sends COM_PING.
func (cc *ClientConn) Ping() error { return cc.simpleCommand(ComPing, nil) }

// InitDB sends COM_INIT_DB (USE db).
func (cc *ClientConn) InitDB(db string) error { return cc.simpleCommand(ComInitDB, []byte(db)) }

// ResetConnection sends COM_RESET_CONNECTION (session state and statements dropped).
func (cc *ClientConn) ResetConnection() error { return cc.simpleCommand(ComResetConnection, nil) }

// SetOption sends COM_SET_OPTION (multi-statements on/off), answered by EOF.
func (cc *ClientConn) SetOption(option uint16) error {
	if err := cc.WriteCommand(ComSetOption, []byte{byte(option), byte(option >> 8)}); err != nil {
		return err
	}
	p, err := cc.readPacket()
	if err != nil {
		return err
	}
	if IsErrPacket(p) {
		se, err := DecodeErr(p)
		if err != nil {
			return cc.fail(err)
		}
		return se
	}
	if _, _, err := cc.decodeTerminator(p); err != nil {
		// MariaDB answers with a plain EOF even under DEPRECATE_EOF.
		if _, st, err2 := DecodeEOF(p); err2 == nil {
			cc.status = st
			return nil
		}
		return cc.fail(err)
	}
	return nil
}

// FieldList sends COM_FIELD_LIST and returns the column definitions.
func (cc *ClientConn) FieldList(table, wildcard string) ([]*ColumnDef, error) {
	arg := append(append([]byte(table), 0), wildcard...)
	if err := cc.WriteCommand(ComFieldList, arg); err != nil {
		return nil, err
	}
	var cols []*ColumnDef
	for {
		p, err := cc.readPacket()
		if err != nil {
			return nil, err
		}
		switch {
		case IsErrPacket(p):
			se, err := DecodeErr(p)
			if err != nil {
				return nil, cc.fail(err)
			}
			return nil, se
		case IsEOFPacket(p):
			if _, _, err := cc.decodeTerminator(p); err != nil {
				return nil, cc.fail(err)
			}
			return cols, nil
		}
		col, err := DecodeColumnDef(p)
		if err != nil {
			return nil, cc.fail(err)
		}
		cols = append(cols, col)
	}
}

// Prepare sends COM_STMT_PREPARE.
func (cc *ClientConn) Prepare(sql string) (*ClientStmt, error) {
	if err := cc.WriteCommand(ComStmtPrepare, []byte(sql)); err != nil {
		return nil, err
	}
	p, err := cc.readPacket()
	if err != nil {
		return nil, err
	}
	if IsErrPacket(p) {
		se, err := DecodeErr(p)
		if err != nil {
			return nil, cc.fail(err)
		}
		return nil, se
	}
	pok, err := DecodePrepareOK(p)
	if err != nil {
		return nil, cc.fail(err)
	}
	st := &ClientStmt{ID: pok.StmtID}
	if st.Params, err = cc.readDefinitions(int(pok.ParamCount)); err != nil {
		return nil, err
	}
	if st.Columns, err = cc.readDefinitions(int(pok.ColumnCount)); err != nil {
		return nil, err
	}
	return st, nil
}

// StmtExecute runs a prepared statement with args (see AppendStmtExecute
// for the accepted Go types) and returns its first result; rows come back
// in text form.
func (cc *ClientConn) StmtExecute(st *ClientStmt, args ...any) (*Result, error) {
	if len(args) != len(st.Params) {
		return nil, fmt.Errorf("mysql: statement %d needs %d arguments, got %d", st.ID, len(st.Params), len(args))
	}
	payload, err := AppendStmtExecute(nil, st.ID, args)
	if err != nil {
		return nil, err
	}
	if err := cc.WriteCommandPayload(payload); err != nil {
		return nil, err
	}
	rs, err := cc.readResults(true)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// StmtClose sends COM_STMT_CLOSE (no response).
func (cc *ClientConn) StmtClose(st *ClientStmt) error {
	return cc.WriteCommand(ComStmtClose, []byte{byte(st.ID), byte(st.ID >> 8), byte(st.ID >> 16), byte(st.ID >> 24)})
}

// Close sends COM_QUIT (best effort) and closes the connection.
func (cc *ClientConn) Close() error {
	if !cc.IsBroken() {
		cc.pc.ResetSequence()
		cc.pc.Conn().SetWriteDeadline(time.Now().Add(time.Second))
		cc.pc.WritePacketFlush([]byte{ComQuit})
	}
	cc.fail(net.ErrClosed)
	return nil
}
