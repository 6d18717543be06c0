package mysql

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLenEncInt(t *testing.T) {
	cases := []struct {
		n   uint64
		enc string
	}{
		{0, "00"}, {250, "fa"}, {251, "fcfb00"}, {0xffff, "fcffff"}, {0x10000, "fd000001"},
		{0xffffff, "fdffffff"}, {0x1000000, "fe0000000100000000"}, {^uint64(0), "feffffffffffffffff"},
	}
	for _, c := range cases {
		got := AppendLenEncInt(nil, c.n)
		if hex.EncodeToString(got) != c.enc {
			t.Errorf("encode %d = %x, want %s", c.n, got, c.enc)
		}
		if LenEncIntSize(c.n) != len(got) {
			t.Errorf("LenEncIntSize(%d) = %d, want %d", c.n, LenEncIntSize(c.n), len(got))
		}
		n, isNull, size, err := ReadLenEncInt(append(got, 0x99))
		if err != nil || isNull || n != c.n || size != len(got) {
			t.Errorf("decode %s = %d %v %d %v", c.enc, n, isNull, size, err)
		}
	}
	if _, isNull, _, err := ReadLenEncInt([]byte{0xfb}); !isNull || err != nil {
		t.Error("0xfb must decode as NULL")
	}
	for _, bad := range []string{"", "fc01", "fd0102", "fe01020304050607", "ff"} {
		if _, _, _, err := ReadLenEncInt(unhex(t, bad)); !errors.Is(err, ErrMalformedPacket) {
			t.Errorf("decode %q: err = %v, want malformed", bad, err)
		}
	}
	s, _, size, err := ReadLenEncString(unhex(t, "03616263ff"))
	if err != nil || string(s) != "abc" || size != 4 {
		t.Errorf("lenenc string = %q %d %v", s, size, err)
	}
	if _, _, _, err := ReadLenEncString(unhex(t, "056162")); err == nil {
		t.Error("string longer than the buffer accepted")
	}
}

// pipePair returns two PacketConns joined by an in-memory pipe.
func pipePair(t testing.TB) (*PacketConn, *PacketConn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return NewPacketConn(a), NewPacketConn(b)
}

func TestPacketFramingVectors(t *testing.T) {
	// Write into a buffer to see the exact bytes.
	var buf bytes.Buffer
	pc := &PacketConn{bw: newBufWriter(&buf)}
	pc.SetSequence(3)
	if err := pc.WritePacketFlush([]byte{ComPing}); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf.Bytes()); got != "010000030e" {
		t.Errorf("COM_PING frame = %s", got)
	}
	buf.Reset()
	if err := pc.WritePacketFlush(nil); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf.Bytes()); got != "00000004" {
		t.Errorf("empty frame = %s", got)
	}
	// Exactly 0xffffff bytes: a full chunk then an empty one.
	buf.Reset()
	pc.ResetSequence()
	if err := pc.WritePacketFlush(make([]byte, MaxPayloadChunk)); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if len(b) != 4+MaxPayloadChunk+4 || hex.EncodeToString(b[:4]) != "ffffff00" || hex.EncodeToString(b[len(b)-4:]) != "00000001" {
		t.Errorf("0xffffff payload framed as %d bytes, head %x tail %x", len(b), b[:4], b[len(b)-4:])
	}
}

func TestPacketRoundTripSizes(t *testing.T) {
	for _, n := range []int{0, 1, 1000, MaxPayloadChunk - 1, MaxPayloadChunk, MaxPayloadChunk + 1, 2 * MaxPayloadChunk, 2*MaxPayloadChunk + 7} {
		w, r := pipePair(t)
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(i * 7)
		}
		errc := make(chan error, 1)
		go func() { errc <- w.WritePacketFlush(payload) }()
		got, err := r.ReadPacket()
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if werr := <-errc; werr != nil {
			t.Fatal(werr)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("size %d: payload differs", n)
		}
		if w.Sequence() != r.Sequence() {
			t.Errorf("size %d: sequences %d vs %d", n, w.Sequence(), r.Sequence())
		}
	}
}

func TestPacketErrors(t *testing.T) {
	read := func(wire string, max int) error {
		pc := &PacketConn{br: newBufReader(bytes.NewReader(unhex(t, wire))), MaxPacketSize: max}
		_, err := pc.ReadPacket()
		return err
	}
	var se *SequenceError
	if err := read("0100000501", 0); !errors.As(err, &se) || se.Got != 5 || se.Want != 0 {
		t.Errorf("wrong sequence: %v", err)
	}
	if err := read("05000000aabb", 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated payload: %v", err)
	}
	if err := read("0500", 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated header: %v", err)
	}
	if err := read("", 0); !errors.Is(err, io.EOF) {
		t.Errorf("clean EOF: %v", err)
	}
	if err := read("0a000000"+strings.Repeat("00", 10), 9); !errors.Is(err, ErrPacketTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	var sqlErr *SQLError
	if !errors.As(ErrPacketTooLarge, &sqlErr) || sqlErr.Code != 1153 || sqlErr.State != "08S01" {
		t.Errorf("ErrPacketTooLarge = %v", ErrPacketTooLarge)
	}
	pc := &PacketConn{bw: newBufWriter(io.Discard), MaxPacketSize: 4}
	if err := pc.WritePacket(make([]byte, 5)); !errors.Is(err, ErrPacketTooLarge) {
		t.Errorf("writing over the limit: %v", err)
	}
}

func TestErrorCodesAndStates(t *testing.T) {
	cases := []struct {
		code  uint16
		state string
	}{
		{ERAccessDenied, "28000"}, {ERBadDB, "42000"}, {ERUnknownCom, "08S01"}, {ERParse, "42000"},
		{ERNotSupportedYet, "42000"}, {ERUnknownError, "HY000"}, {ERNetPacketTooLarge, "08S01"},
		{ERDBAccessDenied, "42000"}, {ERConCount, "08004"}, {ERUnknownStmtHandler, "HY000"},
		{ERNoSuchTable, "42S02"}, {ERDupEntry, "23000"},
	}
	for _, c := range cases {
		e := NewSQLError(c.code, "x %d", 1)
		if e.State != c.state || e.Message != "x 1" {
			t.Errorf("code %d: %+v, want state %s", c.code, e, c.state)
		}
	}
	if e := ToSQLError(errors.New("boom")); e.Code != ERUnknownError || e.Message != "boom" {
		t.Errorf("ToSQLError(plain) = %+v", e)
	}
	wrapped := errors.Join(errors.New("ctx"), NewSQLError(ERBadDB, "Unknown database 'x'"))
	if e := ToSQLError(wrapped); e.Code != ERBadDB {
		t.Errorf("ToSQLError(wrapped) = %+v", e)
	}
}

func TestOKErrEOFVectors(t *testing.T) {
	ok := &OKPacket{AffectedRows: 1, LastInsertID: 2, Status: ServerStatusAutocommit, Warnings: 0}
	if got := hex.EncodeToString(AppendOK(nil, okHeader, ok, ClientProtocol41)); got != "00010202000000" {
		t.Errorf("OK = %s", got)
	}
	ok.Info = "Rows matched: 1"
	enc := AppendOK(nil, okHeader, ok, ClientProtocol41)
	if dec, err := DecodeOK(enc, ClientProtocol41); err != nil || !reflect.DeepEqual(dec, ok) {
		t.Errorf("OK round trip = %+v, %v", dec, err)
	}
	st := &OKPacket{AffectedRows: 300, Status: ServerSessionStateChanged | ServerStatusInTrans, Info: "i", SessionState: []byte{1, 2, 3}}
	enc = AppendOK(nil, eofHeader, st, ClientSessionTrack)
	if enc[0] != 0xfe || !IsEOFPacket(enc) {
		t.Errorf("OK-as-EOF header = %x", enc[0])
	}
	if dec, err := DecodeOK(enc, ClientSessionTrack); err != nil || !reflect.DeepEqual(dec, st) {
		t.Errorf("session-track OK round trip = %+v, %v", dec, err)
	}
	e := &SQLError{Code: 1045, State: "28000", Message: "Access denied"}
	want := "ff1504233238303030" + hex.EncodeToString([]byte("Access denied"))
	if got := hex.EncodeToString(AppendErr(nil, e)); got != want {
		t.Errorf("ERR = %s, want %s", got, want)
	}
	if dec, err := DecodeErr(unhex(t, want)); err != nil || *dec != *e {
		t.Errorf("ERR decode = %+v, %v", dec, err)
	}
	if dec, err := DecodeErr(unhex(t, "ff1504"+hex.EncodeToString([]byte("old")))); err != nil || dec.State != "HY000" || dec.Message != "old" {
		t.Errorf("ERR without SQLSTATE = %+v, %v", dec, err)
	}
	if got := hex.EncodeToString(AppendEOF(nil, 1, ServerMoreResultsExists)); got != "fe01000800" {
		t.Errorf("EOF = %s", got)
	}
	if w, s, err := DecodeEOF(unhex(t, "fe01000800")); err != nil || w != 1 || s != 8 {
		t.Errorf("EOF decode = %d %d %v", w, s, err)
	}
	for _, bad := range []string{"", "00fc", "0001", "ff01", "fe0100"} {
		_, err1 := DecodeOK(unhex(t, bad), 0)
		_, err2 := DecodeErr(unhex(t, bad))
		if bad != "0001" && err1 == nil && err2 == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
}

// Vector from the MySQL protocol documentation (SELECT @@version_comment).
func TestColumnDefVector(t *testing.T) {
	wire := unhex(t, "03646566000000114040766572 73696f6e5f636f6d6d656e74000c08001c000000fd00001f0000")
	c, err := DecodeColumnDef(wire)
	if err != nil {
		t.Fatal(err)
	}
	want := &ColumnDef{Catalog: "def", Name: "@@version_comment", Charset: 8, Length: 28, Type: TypeVarString, Decimals: 0x1f}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("decoded %+v", c)
	}
	if got := AppendColumnDef(nil, c); !bytes.Equal(got, wire) {
		t.Errorf("re-encoded %x\n want     %x", got, wire)
	}
	full := &ColumnDef{Catalog: "def", Schema: "db", Table: "t", OrgTable: "t0", Name: "n", OrgName: "n0", Charset: 45,
		Length: 80, Type: TypeLongLong, Flags: FlagUnsigned | FlagNotNull, Decimals: 2, DefaultValue: []byte("7")}
	if got, err := DecodeColumnDef(AppendColumnDef(nil, full)); err != nil || !reflect.DeepEqual(got, full) {
		t.Errorf("round trip = %+v, %v", got, err)
	}
	if _, err := DecodeColumnDef(wire[:len(wire)-3]); err == nil {
		t.Error("truncated column definition accepted")
	}
}

// Vector from the MySQL protocol documentation (5.5.2 greeting, no plugin auth).
func TestGreetingVector(t *testing.T) {
	wire := unhex(t, "0a352e352e322d6d32000b0000006476484049 2d434a00fff7080200000000000000000000000000002a34647c635a776b345e5d3a00")
	g, err := DecodeGreeting(wire)
	if err != nil {
		t.Fatal(err)
	}
	if g.ServerVersion != "5.5.2-m2" || g.ConnectionID != 11 || string(g.AuthData) != "dvH@I-CJ*4d|cZwk4^]:" ||
		g.Capabilities != 0xf7ff || g.Charset != 8 || g.Status != 2 {
		t.Errorf("decoded %+v (auth %q)", g, g.AuthData)
	}
	scramble, _ := NewScramble()
	mine := &Greeting{ServerVersion: "5.7.40-shardcat", ConnectionID: 77, AuthData: scramble,
		Capabilities: ClientProtocol41 | ClientSecureConnection | ClientPluginAuth | ClientLongPassword,
		Charset:      45, Status: 2, AuthPlugin: AuthCachingSHA2Password}
	got, err := DecodeGreeting(AppendGreeting(nil, mine))
	if err != nil || !reflect.DeepEqual(got, mine) {
		t.Errorf("greeting round trip = %+v, %v", got, err)
	}
	e := AppendErr(nil, NewSQLError(ERConCount, "Too many connections"))
	if _, err := DecodeGreeting(e); !errors.As(err, new(*SQLError)) {
		t.Errorf("ERR instead of greeting: %v", err)
	}
}

func TestHandshakeResponseRoundTrip(t *testing.T) {
	for _, caps := range []uint32{
		ClientProtocol41 | ClientSecureConnection | ClientPluginAuth | ClientConnectWithDB | ClientConnectAttrs | ClientPluginAuthLenencClientData,
		ClientProtocol41 | ClientSecureConnection,
		ClientProtocol41,
	} {
		r := &HandshakeResponse{Capabilities: caps, MaxPacketSize: 1 << 24, Charset: 45, User: "app",
			AuthResponse: []byte("0123456789abcdefghij")}
		if caps&ClientConnectWithDB != 0 {
			r.Database = "db"
		}
		if caps&ClientPluginAuth != 0 {
			r.AuthPlugin = AuthNativePassword
		}
		if caps&ClientConnectAttrs != 0 {
			r.Attributes = map[string]string{"_client_name": "test", "k": ""}
		}
		got, err := DecodeHandshakeResponse(AppendHandshakeResponse(nil, r))
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("caps %#x: round trip = %+v, %v", caps, got, err)
		}
	}
	ssl := AppendSSLRequest(nil, ClientProtocol41, 1<<24, 45)
	if len(ssl) != 32 || !IsSSLRequest(ssl) {
		t.Errorf("SSLRequest = %x", ssl)
	}
	if _, err := DecodeHandshakeResponse(unhex(t, "00000000")); err == nil {
		t.Error("pre-4.1 response accepted")
	}
	plugin, data, err := DecodeAuthSwitchRequest(AppendAuthSwitchRequest(nil, AuthNativePassword, []byte("12345678901234567890")))
	if err != nil || plugin != AuthNativePassword || string(data) != "12345678901234567890" {
		t.Errorf("auth switch = %q %q %v", plugin, data, err)
	}
}

func TestStmtExecuteVector(t *testing.T) {
	// From the protocol documentation: statement 1, one VARCHAR "foo".
	req, err := DecodeStmtExecute(unhex(t, "01000000 00 01000000 00 01 0f00 03666f6f"), 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.StmtID != 1 || req.Iterations != 1 || !reflect.DeepEqual(req.Params, []any{"foo"}) {
		t.Errorf("decoded %+v", req)
	}
	// Reusing bound types when the client does not resend them.
	again, err := DecodeStmtExecute(unhex(t, "01000000 00 01000000 00 00 03626172"), 1, req.ParamTypes, nil)
	if err != nil || !reflect.DeepEqual(again.Params, []any{"bar"}) {
		t.Errorf("rebound decode = %+v, %v", again, err)
	}
	if _, err := DecodeStmtExecute(unhex(t, "01000000 00 01000000 00 00 03626172"), 1, nil, nil); err == nil {
		t.Error("values without ever-bound types accepted")
	}
	when := time.Date(2021, 3, 4, 5, 6, 7, 8000, time.UTC)
	params := []any{nil, int64(-1), uint64(1 << 63), float32(1.25), 2.5, "s", []byte{0, 1}, Decimal("-1.50"),
		when, -(26*time.Hour + 3*time.Second + 5*time.Microsecond), true, time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)}
	payload, err := AppendStmtExecute(nil, 9, params)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeStmtExecute(payload[1:], len(params), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{nil, int64(-1), uint64(1 << 63), float32(1.25), 2.5, "s", []byte{0, 1}, Decimal("-1.50"),
		when, -(26*time.Hour + 3*time.Second + 5*time.Microsecond), int64(1), time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)}
	if !reflect.DeepEqual(got.Params, want) {
		t.Errorf("params = %#v\n want %#v", got.Params, want)
	}
	// Long data: parameter 0 (VAR_STRING) came by COM_STMT_SEND_LONG_DATA,
	// so only parameter 1 (LONGLONG) has a value in the packet.
	long, err := DecodeStmtExecute(unhex(t, "01000000 00 01000000 00 01 fd00 0800 0700000000000000"), 2, nil,
		map[int][]byte{0: []byte("long")})
	if err != nil || !reflect.DeepEqual(long.Params, []any{"long", int64(7)}) {
		t.Errorf("long data = %#v, %v", long, err)
	}
	// A zero date is legal in MySQL but not a time.Time.
	zero, err := DecodeStmtExecute(unhex(t, "01000000 00 01000000 00 01 0c00 00"), 1, nil, nil)
	if err != nil || zero.Params[0] != "0000-00-00 00:00:00" {
		t.Errorf("zero datetime = %#v, %v", zero.Params, err)
	}
	for _, bad := range []string{"", "010000", "01000000 00 01000000", "01000000 00 01000000 00 01 0f00 05666f", "01000000 00 01000000 00 01 ee00 00"} {
		if _, err := DecodeStmtExecute(unhex(t, bad), 1, nil, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRowsTextAndBinary(t *testing.T) {
	cols := []*ColumnDef{
		{Name: "ti", Type: TypeTiny}, {Name: "us", Type: TypeShort, Flags: FlagUnsigned}, {Name: "l", Type: TypeLong},
		{Name: "ll", Type: TypeLongLong}, {Name: "f", Type: TypeFloat}, {Name: "d", Type: TypeDouble},
		{Name: "dt", Type: TypeDate}, {Name: "dtm", Type: TypeDateTime, Decimals: 6}, {Name: "ts", Type: TypeTimestamp},
		{Name: "tm", Type: TypeTime, Decimals: 3}, {Name: "y", Type: TypeYear}, {Name: "s", Type: TypeVarString},
		{Name: "n", Type: TypeNull}, {Name: "b", Type: TypeBlob}, {Name: "zero", Type: TypeDateTime},
	}
	row := Row{[]byte("-128"), []byte("65535"), []byte("-2147483648"), []byte("9223372036854775807"),
		[]byte("1.5"), []byte("-2.25e100"), []byte("2024-02-29"), []byte("2024-02-29 13:14:15.000001"),
		[]byte("2001-02-03 04:05:06"), []byte("-838:59:59.999"), []byte("2024"), []byte("héllo"), nil, []byte{}, []byte("0000-00-00 00:00:00")}
	bin, err := AppendBinaryRow(nil, cols, row)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeBinaryRow(bin, cols)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, row) {
		t.Errorf("binary round trip:\n got  %q\n want %q", back, row)
	}
	// Spot-check the wire form: header, 3-byte null bitmap (bit 12+2 set), TINY 0x80.
	if bin[0] != 0 || bin[1] != 0 || bin[2] != 0x40 || bin[3] != 0 || bin[4] != 0x80 {
		t.Errorf("binary row head = %x", bin[:5])
	}
	text := AppendTextRow(nil, row)
	tb, err := DecodeTextRow(text, len(cols))
	if err != nil || !reflect.DeepEqual(tb, row) {
		t.Errorf("text round trip = %q, %v", tb, err)
	}
	if _, err := DecodeTextRow(text, len(cols)-1); err == nil {
		t.Error("extra text values accepted")
	}
	if _, err := AppendBinaryRow(nil, cols[:1], Row{[]byte("300")}); err == nil {
		t.Error("TINY 300 accepted")
	}
	if _, err := DecodeBinaryRow(bin[:len(bin)-1], cols); err == nil {
		t.Error("truncated binary row accepted")
	}
}

func TestLiteralsAndInterpolation(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{nil, "NULL"}, {true, "1"}, {int8(-3), "-3"}, {uint64(18446744073709551615), "18446744073709551615"},
		{1.5, "1.5e+00"}, {float32(0.1), "1e-01"}, {Decimal("-12.50"), "-12.50"},
		{"a'b\"c\\d\x00e\nf\rg\x1a", `'a\'b\"c\\d\0e\nf\rg\Z'`}, {"日本", "'日本'"}, {"\xff\xfe", "X'fffe'"},
		{[]byte("hi"), "X'6869'"}, {[]byte{}, "''"},
		{time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), "'2020-01-02'"},
		{time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), "'2020-01-02 03:04:05'"},
		{time.Date(2020, 1, 2, 3, 4, 5, 6000, time.UTC), "'2020-01-02 03:04:05.000006'"},
		{-(25*time.Hour + time.Second), "'-25:00:01'"}, {time.Duration(1500) * time.Millisecond, "'00:00:01.500000'"},
	}
	for _, c := range cases {
		got, err := Literal(c.v)
		if err != nil || got != c.want {
			t.Errorf("Literal(%#v) = %s, %v; want %s", c.v, got, err, c.want)
		}
	}
	if b, _ := AppendLiteral(nil, `it's \`, true); string(b) != `'it''s \'` {
		t.Errorf("NO_BACKSLASH_ESCAPES literal = %s", b)
	}
	for _, bad := range []any{Decimal("1;DROP"), struct{}{}} {
		if _, err := Literal(bad); err == nil {
			t.Errorf("Literal(%#v) accepted", bad)
		}
	}
	q, err := InterpolateQuery("SELECT ?, '?', \"?\", `?` -- ?\n, ? /* ? */ # ?\n, ?", []any{1, "x", nil}, false)
	if want := "SELECT 1, '?', \"?\", `?` -- ?\n, 'x' /* ? */ # ?\n, NULL"; err != nil || q != want {
		t.Errorf("interpolated = %q, %v\n want %q", q, err, want)
	}
	if q, err := InterpolateQuery(`SELECT 'a\'?', ?`, []any{2}, false); err != nil || q != `SELECT 'a\'?', 2` {
		t.Errorf("escaped quote = %q, %v", q, err)
	}
	if _, err := InterpolateQuery("SELECT ?", nil, false); !errors.Is(err, ErrParamCount) {
		t.Errorf("missing param: %v", err)
	}
	if _, err := InterpolateQuery("SELECT 1", []any{1}, false); !errors.Is(err, ErrParamCount) {
		t.Errorf("extra param: %v", err)
	}
}

func TestAuthScrambles(t *testing.T) {
	scramble := []byte("01234567890123456789")
	native := ScrambleNativePassword(scramble, "secret")
	req := &AuthRequest{Plugin: AuthNativePassword, Scramble: scramble, Response: native}
	if !req.CheckPassword("secret") || req.CheckPassword("Secret") {
		t.Error("native password check")
	}
	sha := ScrambleCachingSHA2Password(scramble, "secret")
	req = &AuthRequest{Plugin: AuthCachingSHA2Password, Scramble: scramble, Response: sha}
	if !req.CheckPassword("secret") || req.CheckPassword("secret2") {
		t.Error("caching_sha2 scramble check")
	}
	if !verifyCachingSHA2(scramble, sha, cachingSHA2Digest("secret")) || verifyCachingSHA2(scramble, sha, cachingSHA2Digest("x")) {
		t.Error("fast-auth cache check")
	}
	if ScrambleNativePassword(scramble, "") != nil || !(&AuthRequest{Plugin: AuthNativePassword}).CheckPassword("") {
		t.Error("empty password must give an empty response")
	}
	for i := 0; i < 50; i++ {
		s, _ := NewScramble()
		if bytes.IndexByte(s, 0) >= 0 || bytes.IndexByte(s, '$') >= 0 || len(s) != 20 {
			t.Fatalf("bad scramble %x", s)
		}
	}
}

func newBufWriter(w io.Writer) *bufio.Writer { return bufio.NewWriter(w) }
func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// TestReadRowShared checks that the shared variant reuses its buffer while
// ReadRow hands out independent slices.
func TestReadRowShared(t *testing.T) {
	addr, _, mem := startServer(t, nil)
	mem.rows = []Row{{[]byte("1"), []byte("a")}, {[]byte("2"), []byte("b")}}
	cc, err := Dial(t.Context(), addr, "app", "secret", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	for _, shared := range []bool{false, true} {
		if err := cc.WriteCommand(ComQuery, []byte("select * from t")); err != nil {
			t.Fatal(err)
		}
		if _, err := cc.ReadResultHeader(); err != nil {
			t.Fatal(err)
		}
		read := cc.ReadRow
		if shared {
			read = cc.ReadRowShared
		}
		first, _, err := read()
		if err != nil {
			t.Fatal(err)
		}
		firstCopy := string(first)
		second, _, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if _, end, err := read(); !end || err != nil {
			t.Fatalf("want the end of rows, got %v", err)
		}
		if reused := &first[0] == &second[0]; reused != shared {
			t.Errorf("shared=%v: buffer reused = %v", shared, reused)
		}
		if !shared && string(first) != firstCopy {
			t.Error("ReadRow payload changed after the next read")
		}
	}
}
