package mysql

import "encoding/binary"

// AppendLenEncInt appends n as a length-encoded integer.
func AppendLenEncInt(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	default:
		b = append(b, 0xfe)
		return binary.LittleEndian.AppendUint64(b, n)
	}
}

// AppendLenEncString appends s prefixed with its length-encoded length.
func AppendLenEncString(b []byte, s []byte) []byte {
	b = AppendLenEncInt(b, uint64(len(s)))
	return append(b, s...)
}

// LenEncIntSize is how many bytes AppendLenEncInt uses for n.
func LenEncIntSize(n uint64) int {
	switch {
	case n < 251:
		return 1
	case n < 1<<16:
		return 3
	case n < 1<<24:
		return 4
	default:
		return 9
	}
}

// decoder reads protocol fields from one payload; every read checks bounds
// and the first failure sticks, so a caller checks err once at the end.
type decoder struct {
	buf []byte
	pos int
	err error
}

func newDecoder(b []byte) *decoder { return &decoder{buf: b} }

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = malformed(what)
	}
}

func (d *decoder) remaining() int { return len(d.buf) - d.pos }

func (d *decoder) rest() []byte {
	if d.err != nil {
		return nil
	}
	r := d.buf[d.pos:]
	d.pos = len(d.buf)
	return r
}

func (d *decoder) bytes(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || d.remaining() < n {
		d.fail(what + ": truncated")
		return nil
	}
	r := d.buf[d.pos : d.pos+n]
	d.pos += n
	return r
}

func (d *decoder) uint8(what string) uint8 {
	b := d.bytes(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

func (d *decoder) uint16(what string) uint16 {
	b := d.bytes(2, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (d *decoder) uint24(what string) uint32 {
	b := d.bytes(3, what)
	if b == nil {
		return 0
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
}

func (d *decoder) uint32(what string) uint32 {
	b := d.bytes(4, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) uint64(what string) uint64 {
	b := d.bytes(8, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// lenEncInt reads a length-encoded integer; isNull reports the 0xfb NULL
// marker used in text rows.
func (d *decoder) lenEncInt(what string) (n uint64, isNull bool) {
	first := d.uint8(what)
	if d.err != nil {
		return 0, false
	}
	switch first {
	case 0xfb:
		return 0, true
	case 0xfc:
		return uint64(d.uint16(what)), false
	case 0xfd:
		return uint64(d.uint24(what)), false
	case 0xfe:
		return d.uint64(what), false
	case 0xff:
		d.fail(what + ": 0xff is not a length-encoded integer")
		return 0, false
	default:
		return uint64(first), false
	}
}

// lenEncBytes reads a length-encoded string; nil with isNull for NULL.
func (d *decoder) lenEncBytes(what string) (b []byte, isNull bool) {
	n, isNull := d.lenEncInt(what)
	if d.err != nil || isNull {
		return nil, isNull
	}
	if n > uint64(d.remaining()) {
		d.fail(what + ": length exceeds packet")
		return nil, false
	}
	return d.bytes(int(n), what), false
}

// nulString reads a NUL-terminated string.
func (d *decoder) nulString(what string) []byte {
	if d.err != nil {
		return nil
	}
	for i := d.pos; i < len(d.buf); i++ {
		if d.buf[i] == 0 {
			r := d.buf[d.pos:i]
			d.pos = i + 1
			return r
		}
	}
	d.fail(what + ": missing NUL terminator")
	return nil
}

// ReadLenEncInt decodes a length-encoded integer at the start of b and returns
// the value and the number of bytes used. isNull reports the 0xfb marker.
func ReadLenEncInt(b []byte) (n uint64, isNull bool, size int, err error) {
	d := newDecoder(b)
	n, isNull = d.lenEncInt("length-encoded integer")
	return n, isNull, d.pos, d.err
}

// ReadLenEncString decodes a length-encoded string at the start of b.
func ReadLenEncString(b []byte) (s []byte, isNull bool, size int, err error) {
	d := newDecoder(b)
	s, isNull = d.lenEncBytes("length-encoded string")
	return s, isNull, d.pos, d.err
}
