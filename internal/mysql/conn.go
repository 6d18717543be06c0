package mysql

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"
)

// Conn is one client connection on the server side. Handler methods get it
// to read session facts and to write responses. Writes are buffered and sent
// when the handler returns (or when the buffer fills).
type Conn struct {
	srv *Server
	pc  *PacketConn
	nc  net.Conn
	id  uint32

	capabilities uint32 // negotiated: server's & client's
	user         string
	schema       string
	attributes   map[string]string
	charset      uint8
	tls          bool
	tlsConn      *tls.Conn // kept apart: compression may wrap it later
	scramble     []byte
	status       uint16 // session flags (IN_TRANS, AUTOCOMMIT) ORed into responses

	stmts      map[uint32]*Stmt
	nextStmtID uint32

	// Per-command response state, so an error is sent only while the
	// client still waits for one and a silent handler is caught.
	resp       respState
	binaryRows bool         // inside COM_STMT_EXECUTE
	resultCols []*ColumnDef // columns of the result set being written
	scratch    []byte

	ctx    context.Context
	cancel context.CancelFunc

	// Data is free for the handler's per-connection session.
	Data any
}

type respState uint8

const (
	respNone respState = iota // nothing written yet
	respOpen                  // a result set is open or more results follow
	respDone                  // the response is complete
)

func newConn(s *Server, nc net.Conn) *Conn {
	pc := NewPacketConn(nc)
	pc.MaxPacketSize = s.MaxPacketSize
	ctx, cancel := context.WithCancel(context.Background())
	return &Conn{
		ctx:    ctx,
		cancel: cancel,
		srv:    s,
		pc:     pc,
		nc:     nc,
		id:     s.nextConnID.Add(1),
		status: ServerStatusAutocommit,
		stmts:  map[uint32]*Stmt{},
	}
}

// Context is canceled when the connection ends (or the server closes).
func (c *Conn) Context() context.Context { return c.ctx }

// ID is the connection id announced in the greeting.
func (c *Conn) ID() uint32 { return c.id }

// User is the authenticated user name.
func (c *Conn) User() string { return c.user }

// Schema is the current default schema ("" when none).
func (c *Conn) Schema() string { return c.schema }

// SetSchema records the default schema (handlers call it from ComInitDB
// and Authenticate).
func (c *Conn) SetSchema(s string) { c.schema = s }

// RemoteAddr is the client's address (as the net.Conn given to ServeConn reports it).
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Capabilities are the negotiated capability flags.
func (c *Conn) Capabilities() uint32 { return c.capabilities }

// DeprecateEOF reports whether the client ends result sets with OK packets.
func (c *Conn) DeprecateEOF() bool { return c.capabilities&ClientDeprecateEOF != 0 }

// MultiStatements reports whether the client allows several statements per COM_QUERY.
func (c *Conn) MultiStatements() bool { return c.capabilities&ClientMultiStatements != 0 }

// Charset is the client's collation id from the handshake.
func (c *Conn) Charset() uint8 { return c.charset }

// Attributes are the client's connection attributes.
func (c *Conn) Attributes() map[string]string { return c.attributes }

// IsTLS reports whether the connection was upgraded to TLS.
func (c *Conn) IsTLS() bool { return c.tls }

// Status is the session status ORed into every OK and EOF.
func (c *Conn) Status() uint16 { return c.status }

// SetInTransaction sets or clears SERVER_STATUS_IN_TRANS.
func (c *Conn) SetInTransaction(on bool) { c.SetStatusFlag(ServerStatusInTrans, on) }

// SetAutocommit sets or clears SERVER_STATUS_AUTOCOMMIT.
func (c *Conn) SetAutocommit(on bool) { c.SetStatusFlag(ServerStatusAutocommit, on) }

// SetStatusFlag sets or clears a session status flag (e.g.
// SERVER_STATUS_NO_BACKSLASH_ESCAPES) reported in every OK and EOF.
func (c *Conn) SetStatusFlag(flag uint16, on bool) {
	if on {
		c.status |= flag
	} else {
		c.status &^= flag
	}
}

// Close ends the connection (the command loop stops on its next read). It
// may be called from any goroutine, e.g. to KILL a session.
func (c *Conn) Close() error {
	c.cancel()
	return c.nc.Close()
}

// handshake runs greeting, optional TLS upgrade, authentication and the
// final OK or ERR.
func (c *Conn) handshake() error {
	s := c.srv
	scramble, err := NewScramble()
	if err != nil {
		return err
	}
	c.scramble = scramble
	serverCaps := s.capabilities()
	g := &Greeting{
		ServerVersion: s.serverVersion(),
		ConnectionID:  c.id,
		AuthData:      scramble,
		Capabilities:  serverCaps,
		Charset:       CharsetUTF8MB4GeneralCI,
		Status:        c.status,
		AuthPlugin:    s.pluginFor(""),
	}
	c.pc.ResetSequence()
	if err := c.pc.WritePacketFlush(AppendGreeting(nil, g)); err != nil {
		return err
	}
	payload, err := c.pc.ReadPacket()
	if err != nil {
		return err
	}
	if IsSSLRequest(payload) {
		if s.TLSConfig == nil {
			return c.refuse(NewSQLError(ERHandshake, "Bad handshake: TLS is not configured"))
		}
		tc := c.pc.upgrade(func(nc net.Conn) net.Conn { return tls.Server(nc, s.TLSConfig) }).(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("mysql: TLS handshake: %w", err)
		}
		c.tls = true
		c.tlsConn = tc
		if payload, err = c.pc.ReadPacket(); err != nil {
			return err
		}
	}
	resp, err := DecodeHandshakeResponse(payload)
	if err != nil {
		c.refuse(NewSQLError(ERHandshake, "Bad handshake"))
		return err
	}
	if s.RequireTLS && !c.tls {
		return c.refuse(NewSQLError(ERAccessDenied, "Access denied for user '%s': TLS required", resp.User))
	}
	c.capabilities = resp.Capabilities & serverCaps
	c.charset = resp.Charset
	c.attributes = resp.Attributes
	plugin := resp.AuthPlugin
	if resp.Capabilities&ClientPluginAuth == 0 {
		plugin = AuthNativePassword
	}
	req, err := c.exchangeAuth(resp.User, plugin, resp.AuthResponse)
	if err != nil {
		return err
	}
	if resp.Capabilities&ClientConnectWithDB != 0 {
		req.Database = resp.Database
	}
	req.Attributes = resp.Attributes
	if err := c.callAuthenticate(req); err != nil {
		return c.refuse(ToSQLError(err))
	}
	c.user = req.User
	if c.schema == "" {
		c.schema = req.Database
	}
	if err := c.pc.WritePacketFlush(AppendOK(nil, okHeader, &OKPacket{Status: c.status}, c.capabilities)); err != nil {
		return err
	}
	if c.capabilities&ClientCompress != 0 {
		c.pc.enableCompression()
	}
	return nil
}

func (c *Conn) callAuthenticate(req *AuthRequest) error {
	if err := c.srv.Handler.Authenticate(c, req); err != nil {
		return err
	}
	if req.Plugin == AuthCachingSHA2Password && req.Cleartext {
		c.srv.cacheDigest(req.User, string(req.Response))
	}
	return nil
}

// refuse sends err as the answer to the current packet and returns it.
func (c *Conn) refuse(e *SQLError) error {
	c.writeErrFlush(e)
	return e
}

func (c *Conn) writeErrFlush(e *SQLError) {
	c.pc.WritePacketFlush(AppendErr(nil, e))
}

// exchangeAuth switches plugin if needed and completes the chosen method's
// exchange, returning what the client proved for the handler to check.
func (c *Conn) exchangeAuth(user, plugin string, response []byte) (*AuthRequest, error) {
	s := c.srv
	want := s.pluginFor(user)
	if want != AuthNativePassword && want != AuthCachingSHA2Password {
		return nil, c.refuse(NewSQLError(ERAccessDenied, "Access denied for user '%s': unsupported auth plugin %q", user, want))
	}
	// A client that picked its own plugin (not the greeting's) may send an
	// empty first answer (libmariadb does): ask again with an auth switch.
	emptyForeign := len(response) == 0 && plugin != s.pluginFor("")
	if plugin != want || emptyForeign {
		if c.capabilities&ClientPluginAuth == 0 {
			return nil, c.refuse(NewSQLError(ERAccessDenied, "Access denied for user '%s': client cannot switch to %s", user, want))
		}
		if err := c.pc.WritePacketFlush(AppendAuthSwitchRequest(nil, want, c.scramble)); err != nil {
			return nil, err
		}
		var err error
		if response, err = c.pc.ReadPacket(); err != nil {
			return nil, err
		}
	}
	req := &AuthRequest{
		User:         user,
		RemoteAddr:   c.RemoteAddr().String(),
		Plugin:       want,
		Scramble:     c.scramble,
		Response:     response,
		Capabilities: c.capabilities,
	}
	if want == AuthNativePassword || len(response) == 0 {
		return req, nil
	}
	// caching_sha2_password: fast auth when this user's digest is cached and
	// matches; otherwise ask for the password itself.
	if d, ok := s.cachedDigest(user); ok && verifyCachingSHA2(c.scramble, response, d) {
		if err := c.pc.WritePacket([]byte{authMoreDataHeader, cachingSHA2FastAuthSuccess}); err != nil {
			return nil, err
		}
		return req, nil
	}
	if err := c.pc.WritePacketFlush([]byte{authMoreDataHeader, cachingSHA2PerformFullAuth}); err != nil {
		return nil, err
	}
	pkt, err := c.pc.ReadPacket()
	if err != nil {
		return nil, err
	}
	var password string
	switch {
	case c.tls:
		password = string(bytes.TrimSuffix(pkt, []byte{0}))
	default:
		key, err := s.rsaKey()
		if err != nil {
			return nil, c.refuse(NewSQLError(ERUnknownError, "no RSA key: %v", err))
		}
		if len(pkt) == 1 && pkt[0] == cachingSHA2RequestPublicKey {
			pemKey, err := MarshalPublicKeyPEM(&key.PublicKey)
			if err != nil {
				return nil, err
			}
			if err := c.pc.WritePacketFlush(append([]byte{authMoreDataHeader}, pemKey...)); err != nil {
				return nil, err
			}
			if pkt, err = c.pc.ReadPacket(); err != nil {
				return nil, err
			}
		}
		if password, err = decryptPassword(pkt, c.scramble, key); err != nil {
			return nil, c.refuse(NewSQLError(ERAccessDenied, "Access denied for user '%s'", user))
		}
	}
	req.Response = []byte(password)
	req.Cleartext = true
	return req, nil
}

// serve is the command loop.
func (c *Conn) serve() {
	for {
		c.pc.ResetSequence()
		if t := c.srv.IdleTimeout; t > 0 {
			c.nc.SetReadDeadline(time.Now().Add(t))
		}
		payload, err := c.pc.ReadPacket()
		if err != nil {
			if errors.Is(err, ErrPacketTooLarge) {
				c.writeErrFlush(ErrPacketTooLarge)
			} else if !isClosedError(err) {
				c.srv.logger().Info("mysql read failed", "conn", c.id, "err", err)
			}
			return
		}
		if len(payload) == 0 {
			c.writeErrFlush(NewSQLError(ERMalformedPacket, "empty command packet"))
			return
		}
		if payload[0] == ComQuit {
			return
		}
		if !c.dispatch(payload) {
			return
		}
		if err := c.pc.Flush(); err != nil {
			return
		}
	}
}

// dispatch runs one command; false ends the connection.
func (c *Conn) dispatch(payload []byte) bool {
	c.resp = respNone
	c.binaryRows = false
	c.resultCols = nil
	h := c.srv.Handler
	cmd, data := payload[0], payload[1:]
	var err error
	switch cmd {
	case ComQuery:
		err = h.ComQuery(c, string(data))
	case ComInitDB:
		if err = h.ComInitDB(c, string(data)); err == nil {
			err = c.WriteOK(&OKPacket{})
		}
	case ComPing:
		if err = h.ComPing(c); err == nil {
			err = c.WriteOK(&OKPacket{})
		}
	case ComFieldList:
		table, wildcard, _ := bytes.Cut(data, []byte{0})
		err = h.ComFieldList(c, string(table), string(wildcard))
	case ComResetConnection:
		c.closeAllStmts()
		if err = h.ComResetConnection(c); err == nil {
			err = c.WriteOK(&OKPacket{})
		}
	case ComSetOption:
		if len(data) < 2 {
			err = NewSQLError(ERMalformedPacket, "COM_SET_OPTION: truncated")
			break
		}
		opt := binary.LittleEndian.Uint16(data)
		if opt != MySQLOptionMultiStatementsOn && opt != MySQLOptionMultiStatementsOff {
			err = NewSQLError(ERUnknownCom, "Unknown COM_SET_OPTION %d", opt)
			break
		}
		if err = h.ComSetOption(c, opt); err == nil {
			c.setMultiStatements(opt == MySQLOptionMultiStatementsOn)
			err = c.writeTerminator(0, c.status, 0)
			c.resp = respDone
		}
	case ComChangeUser:
		var req *AuthRequest
		if req, err = c.changeUser(data); err != nil {
			if c.resp == respDone {
				return false // refusal sent inside the exchange
			}
			break
		}
		c.closeAllStmts()
		if err = h.ComChangeUser(c, req); err == nil {
			c.user = req.User
			err = c.WriteOK(&OKPacket{})
		}
	case ComStmtPrepare:
		err = c.stmtPrepare(string(data))
	case ComStmtExecute:
		err = c.stmtExecute(data)
	case ComStmtSendLongData:
		c.stmtSendLongData(data)
		return true // never answered
	case ComStmtClose:
		if len(data) >= 4 {
			id := binary.LittleEndian.Uint32(data)
			if st, ok := c.stmts[id]; ok {
				delete(c.stmts, id)
				h.ComStmtClose(c, st)
			}
		}
		return true // never answered
	case ComStmtReset:
		err = c.stmtReset(data)
	default:
		err = NewSQLError(ERUnknownCom, "Unknown command")
	}
	return c.finish(cmd, err)
}

// finish makes sure the client got a complete answer to the command.
func (c *Conn) finish(cmd byte, err error) bool {
	switch {
	case err != nil && c.resp != respDone:
		// Even an EOF from a backend is reported to the client; a dead
		// client shows up as a failed write here.
		if werr := c.WriteError(err); werr != nil {
			return false
		}
	case err == nil && c.resp != respDone:
		c.srv.logger().Error("mysql handler wrote an incomplete response", "conn", c.id, "command", cmd)
		if werr := c.WriteError(NewSQLError(ERUnknownError, "internal error: incomplete response")); werr != nil {
			return false
		}
	case err != nil:
		// Already answered (e.g. a forwarded backend ERR): nothing to add.
		c.srv.logger().Debug("mysql handler error after response", "conn", c.id, "err", err)
	}
	return true
}

func (c *Conn) setMultiStatements(on bool) {
	if on {
		c.capabilities |= ClientMultiStatements
	} else {
		c.capabilities &^= ClientMultiStatements
	}
}

// changeUser decodes COM_CHANGE_USER and runs the auth exchange for it.
func (c *Conn) changeUser(data []byte) (*AuthRequest, error) {
	d := newDecoder(data)
	user := string(d.nulString("change user: user"))
	var resp []byte
	if c.capabilities&ClientSecureConnection != 0 {
		n := d.uint8("change user: auth length")
		resp = append([]byte{}, d.bytes(int(n), "change user: auth data")...)
	} else {
		resp = append([]byte{}, d.nulString("change user: auth data")...)
	}
	db := string(d.nulString("change user: database"))
	plugin := AuthNativePassword
	if d.err == nil && d.remaining() >= 2 {
		c.charset = uint8(d.uint16("change user: charset"))
		if c.capabilities&ClientPluginAuth != 0 && d.remaining() > 0 {
			plugin = string(d.nulString("change user: plugin"))
		}
	}
	if d.err != nil {
		return nil, NewSQLError(ERMalformedPacket, "%v", d.err)
	}
	req, err := c.exchangeAuth(user, plugin, resp)
	if err != nil {
		c.resp = respDone
		return nil, err
	}
	req.Database = db
	if err := c.srv.Handler.Authenticate(c, req); err != nil {
		c.resp = respDone
		return nil, c.refuse(ToSQLError(err))
	}
	if req.Plugin == AuthCachingSHA2Password && req.Cleartext {
		c.srv.cacheDigest(req.User, string(req.Response))
	}
	return req, nil
}

// WriteOK answers a command with OK. The session status is ORed into
// ok.Status; SERVER_MORE_RESULTS_EXISTS in ok.Status means more results follow.
func (c *Conn) WriteOK(ok *OKPacket) error {
	o := *ok
	o.Status |= c.status
	c.scratch = AppendOK(c.scratch[:0], okHeader, &o, c.capabilities)
	c.markEnd(o.Status)
	return c.pc.WritePacket(c.scratch)
}

func (c *Conn) markEnd(status uint16) {
	if status&ServerMoreResultsExists != 0 {
		c.resp = respOpen
	} else {
		c.resp = respDone
	}
	c.resultCols = nil
}

// WriteError answers with an ERR packet built from err (see ToSQLError).
// An ERR ends the whole response, even inside a result set.
func (c *Conn) WriteError(err error) error {
	c.resp = respDone
	c.resultCols = nil
	return c.pc.WritePacket(AppendErr(c.scratch[:0], ToSQLError(err)))
}

// Flush sends buffered packets now (the server flushes after each command;
// call it to stream a long result).
func (c *Conn) Flush() error { return c.pc.Flush() }
