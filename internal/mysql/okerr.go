package mysql

import "encoding/binary"

// OKPacket is the content of an OK packet (or of the OK that replaces EOF
// with CLIENT_DEPRECATE_EOF).
type OKPacket struct {
	AffectedRows uint64
	LastInsertID uint64
	Status       uint16
	Warnings     uint16
	Info         string
	// SessionState is the raw session-state-change block (CLIENT_SESSION_TRACK
	// with SERVER_SESSION_STATE_CHANGED); forwarded as is.
	SessionState []byte
}

// AppendOK appends an OK payload. header is 0x00 for a plain OK and 0xfe for
// the OK that ends a result set under CLIENT_DEPRECATE_EOF.
func AppendOK(b []byte, header byte, ok *OKPacket, capabilities uint32) []byte {
	b = append(b, header)
	b = AppendLenEncInt(b, ok.AffectedRows)
	b = AppendLenEncInt(b, ok.LastInsertID)
	b = binary.LittleEndian.AppendUint16(b, ok.Status)
	b = binary.LittleEndian.AppendUint16(b, ok.Warnings)
	if capabilities&ClientSessionTrack != 0 {
		if ok.Info != "" || ok.Status&ServerSessionStateChanged != 0 {
			b = AppendLenEncString(b, []byte(ok.Info))
		}
		if ok.Status&ServerSessionStateChanged != 0 {
			b = AppendLenEncString(b, ok.SessionState)
		}
	} else {
		b = append(b, ok.Info...)
	}
	return b
}

// DecodeOK parses an OK packet (header 0x00 or 0xfe).
func DecodeOK(payload []byte, capabilities uint32) (*OKPacket, error) {
	d := newDecoder(payload)
	h := d.uint8("OK header")
	if d.err == nil && h != okHeader && h != eofHeader {
		return nil, malformed("OK header: not 0x00 or 0xfe")
	}
	ok := &OKPacket{}
	ok.AffectedRows, _ = d.lenEncInt("OK affected rows")
	ok.LastInsertID, _ = d.lenEncInt("OK last insert id")
	// 4.1 always has status and warnings; a few old servers omit them in an
	// OK with nothing else, so tolerate their absence at the very end.
	if d.err == nil && d.remaining() == 0 {
		return ok, nil
	}
	ok.Status = d.uint16("OK status")
	ok.Warnings = d.uint16("OK warnings")
	if d.err != nil {
		return nil, d.err
	}
	if capabilities&ClientSessionTrack != 0 {
		if d.remaining() > 0 {
			info, _ := d.lenEncBytes("OK info")
			ok.Info = string(info)
		}
		if ok.Status&ServerSessionStateChanged != 0 && d.remaining() > 0 {
			st, _ := d.lenEncBytes("OK session state")
			ok.SessionState = append([]byte{}, st...)
		}
	} else {
		ok.Info = string(d.rest())
	}
	if d.err != nil {
		return nil, d.err
	}
	return ok, nil
}

// AppendErr appends an ERR payload (protocol 4.1, with SQLSTATE).
func AppendErr(b []byte, e *SQLError) []byte {
	b = append(b, errHeader)
	b = binary.LittleEndian.AppendUint16(b, e.Code)
	state := e.State
	if len(state) != 5 {
		state = SSUnknown
	}
	b = append(b, '#')
	b = append(b, state...)
	return append(b, e.Message...)
}

// DecodeErr parses an ERR packet into an *SQLError.
func DecodeErr(payload []byte) (*SQLError, error) {
	d := newDecoder(payload)
	if h := d.uint8("ERR header"); d.err == nil && h != errHeader {
		return nil, malformed("ERR header: not 0xff")
	}
	e := &SQLError{}
	e.Code = d.uint16("ERR code")
	if d.err != nil {
		return nil, d.err
	}
	if d.remaining() >= 6 && d.buf[d.pos] == '#' {
		d.pos++
		e.State = string(d.bytes(5, "ERR state"))
	} else {
		e.State = SSUnknown
	}
	e.Message = string(d.rest())
	return e, nil
}

// AppendEOF appends a (pre-DEPRECATE_EOF) EOF payload.
func AppendEOF(b []byte, warnings, status uint16) []byte {
	b = append(b, eofHeader)
	b = binary.LittleEndian.AppendUint16(b, warnings)
	return binary.LittleEndian.AppendUint16(b, status)
}

// DecodeEOF parses an EOF packet.
func DecodeEOF(payload []byte) (warnings, status uint16, err error) {
	d := newDecoder(payload)
	if h := d.uint8("EOF header"); d.err == nil && h != eofHeader {
		return 0, 0, malformed("EOF header: not 0xfe")
	}
	if len(payload) >= 5 {
		warnings = d.uint16("EOF warnings")
		status = d.uint16("EOF status")
	}
	return warnings, status, d.err
}

// IsEOFPacket tells an EOF packet (or the OK replacing it) from a text row
// that starts with 0xfe: such a row begins with an 8-byte length of at least
// 16 MiB, so the terminator is the 0xfe packet shorter than 0xffffff bytes.
func IsEOFPacket(payload []byte) bool {
	return len(payload) > 0 && payload[0] == eofHeader && len(payload) < MaxPayloadChunk
}

// IsErrPacket reports an ERR packet.
func IsErrPacket(payload []byte) bool { return len(payload) > 0 && payload[0] == errHeader }

// IsOKPacket reports an OK packet (header 0x00, at least 7 bytes).
func IsOKPacket(payload []byte) bool { return len(payload) >= 7 && payload[0] == okHeader }
