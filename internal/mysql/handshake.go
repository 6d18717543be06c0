package mysql

import (
	"bytes"
	"encoding/binary"
)

// Greeting is the server's initial handshake packet (protocol version 10).
type Greeting struct {
	ServerVersion string
	ConnectionID  uint32
	// AuthData is the scramble (20 bytes for the built-in plugins).
	AuthData     []byte
	Capabilities uint32
	Charset      uint8
	Status       uint16
	AuthPlugin   string
	// MariaDBCapabilities are MariaDB's extended capabilities carried in the
	// last 4 reserved bytes when CLIENT_LONG_PASSWORD is not announced (only
	// decoded, for information).
	MariaDBCapabilities uint32
}

// AppendGreeting appends a HandshakeV10 payload.
func AppendGreeting(b []byte, g *Greeting) []byte {
	b = append(b, 10)
	b = append(b, g.ServerVersion...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint32(b, g.ConnectionID)
	part1 := g.AuthData
	if len(part1) > 8 {
		part1 = part1[:8]
	}
	b = append(b, part1...)
	b = append(b, make([]byte, 8-len(part1))...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(g.Capabilities))
	b = append(b, g.Charset)
	b = binary.LittleEndian.AppendUint16(b, g.Status)
	b = binary.LittleEndian.AppendUint16(b, uint16(g.Capabilities>>16))
	if g.Capabilities&ClientPluginAuth != 0 {
		b = append(b, byte(len(g.AuthData)+1))
	} else {
		b = append(b, 0)
	}
	b = append(b, make([]byte, 10)...)
	if g.Capabilities&ClientSecureConnection != 0 {
		var part2 []byte
		if len(g.AuthData) > 8 {
			part2 = g.AuthData[8:]
		}
		b = append(b, part2...)
		// At least 13 bytes, NUL-terminated.
		for pad := 13 - len(part2); pad > 0; pad-- {
			b = append(b, 0)
		}
		if len(part2) >= 13 {
			b = append(b, 0)
		}
	}
	if g.Capabilities&ClientPluginAuth != 0 {
		b = append(b, g.AuthPlugin...)
		b = append(b, 0)
	}
	return b
}

// DecodeGreeting parses the server's initial handshake packet.
func DecodeGreeting(payload []byte) (*Greeting, error) {
	if len(payload) > 0 && payload[0] == errHeader {
		e, err := DecodeErr(payload)
		if err != nil {
			return nil, err
		}
		return nil, e
	}
	d := newDecoder(payload)
	if v := d.uint8("handshake protocol version"); d.err == nil && v != 10 {
		return nil, malformed("handshake: protocol version is not 10")
	}
	g := &Greeting{}
	g.ServerVersion = string(d.nulString("handshake server version"))
	g.ConnectionID = d.uint32("handshake connection id")
	part1 := d.bytes(8, "handshake auth data")
	d.uint8("handshake filler")
	g.Capabilities = uint32(d.uint16("handshake capabilities"))
	if d.err != nil {
		return nil, d.err
	}
	g.AuthData = append([]byte{}, part1...)
	if d.remaining() == 0 {
		return g, nil // pre-4.1 server: nothing more
	}
	g.Charset = d.uint8("handshake charset")
	g.Status = d.uint16("handshake status")
	g.Capabilities |= uint32(d.uint16("handshake capabilities (upper)")) << 16
	authLen := int(d.uint8("handshake auth data length"))
	reserved := d.bytes(10, "handshake reserved")
	if d.err != nil {
		return nil, d.err
	}
	if g.Capabilities&ClientLongPassword == 0 {
		g.MariaDBCapabilities = binary.LittleEndian.Uint32(reserved[6:])
	}
	if g.Capabilities&ClientSecureConnection != 0 {
		n := max(13, authLen-8)
		if n > d.remaining() {
			n = d.remaining()
		}
		part2 := d.bytes(n, "handshake auth data part 2")
		// The scramble is NUL-terminated inside its field.
		if i := bytes.IndexByte(part2, 0); i >= 0 {
			part2 = part2[:i]
		}
		g.AuthData = append(g.AuthData, part2...)
	}
	if g.Capabilities&ClientPluginAuth != 0 && d.remaining() > 0 {
		rest := d.rest()
		if i := bytes.IndexByte(rest, 0); i >= 0 {
			rest = rest[:i]
		}
		g.AuthPlugin = string(rest)
	}
	return g, d.err
}

// HandshakeResponse is the client's HandshakeResponse41 (or, with only the
// first fields, an SSLRequest).
type HandshakeResponse struct {
	Capabilities  uint32
	MaxPacketSize uint32
	Charset       uint8
	User          string
	AuthResponse  []byte
	Database      string
	AuthPlugin    string
	Attributes    map[string]string
	// ZstdLevel is the zstd compression level (CLIENT_ZSTD_COMPRESSION_ALGORITHM).
	ZstdLevel uint8
}

// sslRequestSize is the length of an SSLRequest payload.
const sslRequestSize = 32

// AppendSSLRequest appends an SSLRequest payload.
func AppendSSLRequest(b []byte, capabilities, maxPacket uint32, charset uint8) []byte {
	b = binary.LittleEndian.AppendUint32(b, capabilities|ClientSSL)
	b = binary.LittleEndian.AppendUint32(b, maxPacket)
	b = append(b, charset)
	return append(b, make([]byte, 23)...)
}

// AppendHandshakeResponse appends a HandshakeResponse41 payload. Fields are
// written according to r.Capabilities.
func AppendHandshakeResponse(b []byte, r *HandshakeResponse) []byte {
	b = binary.LittleEndian.AppendUint32(b, r.Capabilities)
	b = binary.LittleEndian.AppendUint32(b, r.MaxPacketSize)
	b = append(b, r.Charset)
	b = append(b, make([]byte, 23)...)
	b = append(b, r.User...)
	b = append(b, 0)
	switch {
	case r.Capabilities&ClientPluginAuthLenencClientData != 0:
		b = AppendLenEncString(b, r.AuthResponse)
	case r.Capabilities&ClientSecureConnection != 0:
		b = append(b, byte(len(r.AuthResponse)))
		b = append(b, r.AuthResponse...)
	default:
		b = append(b, r.AuthResponse...)
		b = append(b, 0)
	}
	if r.Capabilities&ClientConnectWithDB != 0 {
		b = append(b, r.Database...)
		b = append(b, 0)
	}
	if r.Capabilities&ClientPluginAuth != 0 {
		b = append(b, r.AuthPlugin...)
		b = append(b, 0)
	}
	if r.Capabilities&ClientConnectAttrs != 0 {
		var attrs []byte
		for k, v := range r.Attributes {
			attrs = AppendLenEncString(attrs, []byte(k))
			attrs = AppendLenEncString(attrs, []byte(v))
		}
		b = AppendLenEncString(b, attrs)
	}
	if r.Capabilities&ClientZstdCompressionAlgorithm != 0 {
		b = append(b, r.ZstdLevel)
	}
	return b
}

// IsSSLRequest reports whether a handshake response payload is an
// SSLRequest (the short form sent before the TLS upgrade).
func IsSSLRequest(payload []byte) bool {
	return len(payload) == sslRequestSize &&
		binary.LittleEndian.Uint32(payload)&ClientSSL != 0
}

// DecodeHandshakeResponse parses a HandshakeResponse41.
func DecodeHandshakeResponse(payload []byte) (*HandshakeResponse, error) {
	d := newDecoder(payload)
	r := &HandshakeResponse{}
	r.Capabilities = d.uint32("handshake response capabilities")
	if d.err == nil && r.Capabilities&ClientProtocol41 == 0 {
		return nil, malformed("handshake response: client does not speak protocol 4.1")
	}
	r.MaxPacketSize = d.uint32("handshake response max packet size")
	r.Charset = d.uint8("handshake response charset")
	d.bytes(23, "handshake response filler")
	r.User = string(d.nulString("handshake response user"))
	switch {
	case r.Capabilities&ClientPluginAuthLenencClientData != 0:
		a, _ := d.lenEncBytes("handshake response auth data")
		r.AuthResponse = append([]byte{}, a...)
	case r.Capabilities&ClientSecureConnection != 0:
		n := d.uint8("handshake response auth data length")
		r.AuthResponse = append([]byte{}, d.bytes(int(n), "handshake response auth data")...)
	default:
		r.AuthResponse = append([]byte{}, d.nulString("handshake response auth data")...)
	}
	if r.Capabilities&ClientConnectWithDB != 0 && d.remaining() > 0 {
		r.Database = string(d.nulString("handshake response database"))
	}
	if r.Capabilities&ClientPluginAuth != 0 && d.remaining() > 0 {
		r.AuthPlugin = string(d.nulString("handshake response auth plugin"))
	}
	if r.Capabilities&ClientConnectAttrs != 0 && d.remaining() > 0 {
		block, _ := d.lenEncBytes("handshake response attributes")
		ad := newDecoder(block)
		r.Attributes = map[string]string{}
		for ad.err == nil && ad.remaining() > 0 {
			k, _ := ad.lenEncBytes("attribute key")
			v, _ := ad.lenEncBytes("attribute value")
			if ad.err == nil {
				r.Attributes[string(k)] = string(v)
			}
		}
		if ad.err != nil {
			return nil, ad.err
		}
	}
	if r.Capabilities&ClientZstdCompressionAlgorithm != 0 && d.remaining() > 0 {
		r.ZstdLevel = d.uint8("handshake response zstd level")
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

// AppendAuthSwitchRequest appends an AuthSwitchRequest payload.
func AppendAuthSwitchRequest(b []byte, plugin string, authData []byte) []byte {
	b = append(b, eofHeader)
	b = append(b, plugin...)
	b = append(b, 0)
	b = append(b, authData...)
	return append(b, 0)
}

// DecodeAuthSwitchRequest parses an AuthSwitchRequest (0xfe header).
func DecodeAuthSwitchRequest(payload []byte) (plugin string, authData []byte, err error) {
	d := newDecoder(payload)
	if h := d.uint8("auth switch header"); d.err == nil && h != eofHeader {
		return "", nil, malformed("auth switch: header is not 0xfe")
	}
	plugin = string(d.nulString("auth switch plugin"))
	if d.err != nil {
		return "", nil, d.err
	}
	data := d.rest()
	if n := len(data); n > 0 && data[n-1] == 0 {
		data = data[:n-1]
	}
	return plugin, append([]byte{}, data...), nil
}
