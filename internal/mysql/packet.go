package mysql

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
)

// PacketConn frames MySQL packets over a net.Conn: a 3-byte little-endian
// payload length, a 1-byte sequence id, the payload. It buffers both ways:
// WritePacket only queues, Flush sends. It is not safe for concurrent use.
//
// The sequence id is explicit: ResetSequence starts a new command exchange,
// each packet read or written advances it, and a read whose id differs from
// the expected one is an error (the stream would be out of step).
type PacketConn struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	seq  uint8
	rbuf []byte // reused by ReadPacketShared
	// compressed is the compression layer once CLIENT_COMPRESS is on; its
	// packets carry their own sequence, and the inner ids are not checked
	// (MySQL and MariaDB do not check them either).
	compressed *compressedConn
	// MaxPacketSize limits a logical packet read or written (after joining
	// 16 MiB chunks); 0 means DefaultMaxPacketSize.
	MaxPacketSize int
}

// NewPacketConn wraps c with 16 KiB buffers.
func NewPacketConn(c net.Conn) *PacketConn {
	return &PacketConn{
		conn: c,
		br:   bufio.NewReaderSize(c, 16<<10),
		bw:   bufio.NewWriterSize(c, 16<<10),
	}
}

// Conn returns the current underlying connection (a *tls.Conn after an
// upgrade).
func (p *PacketConn) Conn() net.Conn { return p.conn }

// upgrade switches to a new transport (TLS) built over the current one.
// Bytes already buffered (a TLS hello that arrived with the SSLRequest) are
// replayed to the new transport first.
func (p *PacketConn) upgrade(wrap func(net.Conn) net.Conn) net.Conn {
	under := p.conn
	if n := p.br.Buffered(); n > 0 {
		pending, _ := p.br.Peek(n)
		under = &prefixConn{Conn: under, prefix: append([]byte{}, pending...)}
	}
	c := wrap(under)
	p.conn = c
	p.br.Reset(c)
	p.bw.Reset(c)
	return c
}

// prefixConn reads prefix before reading from Conn.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// Sequence is the id the next packet read or written will carry.
func (p *PacketConn) Sequence() uint8 { return p.seq }

// SetSequence sets the id of the next packet.
func (p *PacketConn) SetSequence(s uint8) { p.seq = s }

// ResetSequence starts a new command exchange (sequence id 0).
func (p *PacketConn) ResetSequence() {
	p.seq = 0
	if p.compressed != nil {
		p.compressed.seq = 0
	}
}

func (p *PacketConn) maxSize() int {
	if p.MaxPacketSize > 0 {
		return p.MaxPacketSize
	}
	return DefaultMaxPacketSize
}

// ErrPacketTooLarge is returned when a packet exceeds MaxPacketSize; it is an
// *SQLError (ER_NET_PACKET_TOO_LARGE) so a server can send it on as is.
var ErrPacketTooLarge = NewSQLError(ERNetPacketTooLarge, "Got a packet bigger than 'max_allowed_packet' bytes")

// SequenceError reports a packet whose sequence id is not the expected one.
type SequenceError struct {
	Got, Want uint8
}

func (e *SequenceError) Error() string {
	return fmt.Sprintf("mysql: packets out of order: got sequence id %d, want %d", e.Got, e.Want)
}

// ReadPacket reads one logical packet, joining 0xffffff-byte chunks. The
// returned slice is freshly allocated and owned by the caller.
func (p *PacketConn) ReadPacket() ([]byte, error) { return p.readPacket(false) }

// ReadPacketShared is ReadPacket into a buffer the PacketConn reuses: the
// result is valid only until the next read. It saves an allocation per row
// when forwarding.
func (p *PacketConn) ReadPacketShared() ([]byte, error) { return p.readPacket(true) }

// sharedBufferLimit keeps one huge packet from pinning its buffer forever.
const sharedBufferLimit = 1 << 20

func (p *PacketConn) readPacket(shared bool) ([]byte, error) {
	var payload []byte
	if shared {
		payload = p.rbuf[:0]
	}
	var header [4]byte
	for {
		if _, err := io.ReadFull(p.br, header[:]); err != nil {
			if len(payload) > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		n := int(header[0]) | int(header[1])<<8 | int(header[2])<<16
		if header[3] != p.seq && p.compressed == nil {
			return nil, &SequenceError{Got: header[3], Want: p.seq}
		}
		p.seq = header[3] + 1
		if len(payload)+n > p.maxSize() {
			// Drop this chunk (at most 16 MiB) so the peer's write completes
			// and it can read the error we are about to send.
			io.CopyN(io.Discard, p.br, int64(n))
			return nil, ErrPacketTooLarge
		}
		start := len(payload)
		if !shared && payload == nil && n < MaxPayloadChunk {
			payload = make([]byte, n) // the common case: one exact allocation
		} else {
			payload = slices.Grow(payload, n)[:start+n]
		}
		if _, err := io.ReadFull(p.br, payload[start:]); err != nil {
			return nil, unexpectedEOF(err)
		}
		if n < MaxPayloadChunk {
			break
		}
	}
	if shared && cap(payload) <= sharedBufferLimit {
		p.rbuf = payload
	}
	return payload, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// WritePacket queues one logical packet, splitting it into 0xffffff-byte
// chunks (and a final empty chunk when the length is an exact multiple).
// Call Flush to send.
func (p *PacketConn) WritePacket(payload []byte) error {
	if len(payload) > p.maxSize() {
		return ErrPacketTooLarge
	}
	for {
		n := len(payload)
		if n > MaxPayloadChunk {
			n = MaxPayloadChunk
		}
		header := [4]byte{byte(n), byte(n >> 8), byte(n >> 16), p.seq}
		p.seq++
		if _, err := p.bw.Write(header[:]); err != nil {
			return err
		}
		if _, err := p.bw.Write(payload[:n]); err != nil {
			return err
		}
		payload = payload[n:]
		if n < MaxPayloadChunk {
			return nil
		}
	}
}

// Flush sends everything queued.
func (p *PacketConn) Flush() error { return p.bw.Flush() }

// WritePacketFlush queues one packet and sends it.
func (p *PacketConn) WritePacketFlush(payload []byte) error {
	if err := p.WritePacket(payload); err != nil {
		return err
	}
	return p.Flush()
}

// Buffered reports how many bytes are buffered for reading (must be zero
// before switching to TLS).
func (p *PacketConn) Buffered() int { return p.br.Buffered() }

// Close closes the underlying connection.
func (p *PacketConn) Close() error { return p.conn.Close() }
