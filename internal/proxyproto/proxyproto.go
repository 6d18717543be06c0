// Package proxyproto reads the PROXY protocol header (HAProxy's v1 text and
// v2 binary forms) that a TCP load balancer such as shardcat's director
// sends before the client's bytes, so the proxy sees the client's address
// for its firewall and logs.
package proxyproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

var v2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")

// ErrNoHeader means the connection did not start with a PROXY header.
var ErrNoHeader = errors.New("proxyproto: no PROXY protocol header")

// Header is what a PROXY header says. Source is nil for LOCAL (v2) or
// UNKNOWN (v1) headers: the connection is the balancer's own (a health check).
type Header struct {
	Source, Destination net.Addr
}

// Read consumes one header from r. It reads no byte past the header.
func Read(r *bufio.Reader) (*Header, error) {
	peek, err := r.Peek(12)
	if err != nil {
		if len(peek) >= 6 && string(peek[:6]) == "PROXY " {
			return readV1(r)
		}
		return nil, fmt.Errorf("proxyproto: reading header: %w", err)
	}
	switch {
	case bytes.Equal(peek, v2Signature):
		return readV2(r)
	case string(peek[:6]) == "PROXY ":
		return readV1(r)
	}
	return nil, ErrNoHeader
}

// readV1 reads "PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n" (at most
// 107 bytes).
func readV1(r *bufio.Reader) (*Header, error) {
	var line []byte
	for len(line) < 107 {
		b, err := r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("proxyproto: v1 header: %w", err)
		}
		line = append(line, b)
		if b == '\n' {
			break
		}
	}
	if !bytes.HasSuffix(line, []byte("\r\n")) {
		return nil, errors.New("proxyproto: v1 header longer than 107 bytes or not ended by CRLF")
	}
	f := strings.Split(strings.TrimSuffix(string(line), "\r\n"), " ")
	if len(f) >= 2 && f[1] == "UNKNOWN" {
		return &Header{}, nil
	}
	if len(f) != 6 || (f[1] != "TCP4" && f[1] != "TCP6") {
		return nil, fmt.Errorf("proxyproto: malformed v1 header %q", line)
	}
	src, err1 := tcpAddr(f[2], f[4], f[1] == "TCP4")
	dst, err2 := tcpAddr(f[3], f[5], f[1] == "TCP4")
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("proxyproto: malformed v1 header %q", line)
	}
	return &Header{Source: src, Destination: dst}, nil
}

func tcpAddr(ip, port string, v4 bool) (*net.TCPAddr, error) {
	a := net.ParseIP(ip)
	p, err := strconv.ParseUint(port, 10, 16)
	if a == nil || err != nil || (a.To4() != nil) != v4 || (len(port) > 1 && port[0] == '0') {
		return nil, errors.New("bad address")
	}
	return &net.TCPAddr{IP: a, Port: int(p)}, nil
}

// readV2 reads the binary header: signature, version/command, family,
// length, addresses (TLVs after them are skipped).
func readV2(r *bufio.Reader) (*Header, error) {
	var fixed [16]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return nil, fmt.Errorf("proxyproto: v2 header: %w", err)
	}
	verCmd, fam := fixed[12], fixed[13]
	n := int(binary.BigEndian.Uint16(fixed[14:16]))
	if verCmd>>4 != 2 {
		return nil, fmt.Errorf("proxyproto: v2 header with version %d", verCmd>>4)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("proxyproto: v2 addresses: %w", err)
	}
	switch verCmd & 0xf {
	case 0: // LOCAL
		return &Header{}, nil
	case 1: // PROXY
	default:
		return nil, fmt.Errorf("proxyproto: v2 command %d", verCmd&0xf)
	}
	switch fam {
	case 0x11: // TCP over IPv4
		if n < 12 {
			return nil, errors.New("proxyproto: v2 IPv4 addresses truncated")
		}
		return &Header{
			Source:      &net.TCPAddr{IP: net.IP(body[0:4]), Port: int(binary.BigEndian.Uint16(body[8:10]))},
			Destination: &net.TCPAddr{IP: net.IP(body[4:8]), Port: int(binary.BigEndian.Uint16(body[10:12]))},
		}, nil
	case 0x21: // TCP over IPv6
		if n < 36 {
			return nil, errors.New("proxyproto: v2 IPv6 addresses truncated")
		}
		return &Header{
			Source:      &net.TCPAddr{IP: net.IP(body[0:16]), Port: int(binary.BigEndian.Uint16(body[32:34]))},
			Destination: &net.TCPAddr{IP: net.IP(body[16:32]), Port: int(binary.BigEndian.Uint16(body[34:36]))},
		}, nil
	case 0x00:
		return &Header{}, nil
	}
	return nil, fmt.Errorf("proxyproto: v2 family 0x%02x is not TCP", fam)
}

// Conn is a connection whose first bytes were a PROXY header: RemoteAddr
// is the client's, reads continue after the header.
type Conn struct {
	net.Conn
	r      *bufio.Reader
	remote net.Addr
}

// Wrap reads the header from c and returns the connection to use.
func Wrap(c net.Conn) (*Conn, error) {
	r := bufio.NewReaderSize(c, 256)
	h, err := Read(r)
	if err != nil {
		return nil, err
	}
	remote := h.Source
	if remote == nil {
		remote = c.RemoteAddr()
	}
	return &Conn{Conn: c, r: r, remote: remote}, nil
}

func (c *Conn) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *Conn) RemoteAddr() net.Addr       { return c.remote }
