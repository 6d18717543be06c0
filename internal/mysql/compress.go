package mysql

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"net"
)

// The compressed protocol (CLIENT_COMPRESS) wraps the stream of ordinary
// packets in compressed packets: a 3-byte compressed length, a 1-byte
// compression sequence id, a 3-byte uncompressed length (0 when the body
// is stored as is), then the body. One compressed packet may carry several
// ordinary packets or part of one. It starts right after the handshake.

// compressHeaderSize is the length of a compressed packet header.
const compressHeaderSize = 7

// minCompressLength: shorter bodies are sent stored, as MySQL does.
const minCompressLength = 50

// compressedConn is a net.Conn that speaks compressed packets below, and
// gives the plain packet stream to the PacketConn above.
type compressedConn struct {
	net.Conn
	raw   *bufio.Reader
	plain bytes.Buffer // decompressed bytes not yet read
	seq   uint8
	zw    *zlib.Writer
	zbuf  bytes.Buffer
	// maxSize bounds one decompressed body (at most 16 MiB by the format).
	maxSize int
}

func newCompressedConn(c net.Conn) *compressedConn {
	return &compressedConn{Conn: c, raw: bufio.NewReaderSize(c, 16<<10), maxSize: MaxPayloadChunk}
}

// Read returns decompressed bytes, reading one compressed packet when the
// buffer is empty.
func (c *compressedConn) Read(b []byte) (int, error) {
	for c.plain.Len() == 0 {
		if err := c.readCompressed(); err != nil {
			return 0, err
		}
	}
	return c.plain.Read(b)
}

func (c *compressedConn) readCompressed() error {
	var header [compressHeaderSize]byte
	if _, err := io.ReadFull(c.raw, header[:]); err != nil {
		return err
	}
	compressedLen := int(header[0]) | int(header[1])<<8 | int(header[2])<<16
	// MySQL and MariaDB do not check this sequence strictly; follow the peer.
	c.seq = header[3] + 1
	plainLen := int(header[4]) | int(header[5])<<8 | int(header[6])<<16
	// Grow with the data actually received rather than trust the header.
	body, err := io.ReadAll(io.LimitReader(c.raw, int64(compressedLen)))
	if err != nil {
		return err
	}
	if len(body) != compressedLen {
		return io.ErrUnexpectedEOF
	}
	if plainLen == 0 {
		c.plain.Write(body)
		return nil
	}
	if plainLen > c.maxSize {
		return malformed("compressed packet: uncompressed length too large")
	}
	zr, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: compressed packet: %v", ErrMalformedPacket, err)
	}
	c.plain.Grow(plainLen)
	n, err := c.plain.ReadFrom(io.LimitReader(zr, int64(plainLen)+1))
	if err == nil {
		err = zr.Close()
	}
	if err != nil {
		return fmt.Errorf("%w: compressed packet: %v", ErrMalformedPacket, err)
	}
	if int(n) != plainLen {
		return malformed(fmt.Sprintf("compressed packet: %d bytes inflated, header says %d", n, plainLen))
	}
	return nil
}

// Write sends b as one or more compressed packets.
func (c *compressedConn) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), MaxPayloadChunk)]
		if err := c.writeCompressed(chunk); err != nil {
			return written, err
		}
		written += len(chunk)
		b = b[len(chunk):]
	}
	return written, nil
}

func (c *compressedConn) writeCompressed(chunk []byte) error {
	c.zbuf.Reset()
	c.zbuf.Write(make([]byte, compressHeaderSize))
	plainLen := 0
	if len(chunk) >= minCompressLength {
		if c.zw == nil {
			c.zw = zlib.NewWriter(&c.zbuf)
		} else {
			c.zw.Reset(&c.zbuf)
		}
		c.zw.Write(chunk)
		if err := c.zw.Close(); err == nil && c.zbuf.Len()-compressHeaderSize < len(chunk) {
			plainLen = len(chunk)
		}
	}
	if plainLen == 0 {
		// Not worth it (or not smaller): store the body as is.
		c.zbuf.Truncate(compressHeaderSize)
		c.zbuf.Write(chunk)
	}
	out := c.zbuf.Bytes()
	n := len(out) - compressHeaderSize
	out[0], out[1], out[2] = byte(n), byte(n>>8), byte(n>>16)
	out[3] = c.seq
	out[4], out[5], out[6] = byte(plainLen), byte(plainLen>>8), byte(plainLen>>16)
	c.seq++
	_, err := c.Conn.Write(out)
	return err
}

// enableCompression switches the PacketConn to the compressed protocol
// (after the handshake's final OK).
func (p *PacketConn) enableCompression() {
	p.upgrade(func(nc net.Conn) net.Conn {
		cc := newCompressedConn(nc)
		p.compressed = cc
		return cc
	})
}
