package shard

import "math/bits"

// murmur3 is an incremental MurmurHash3_x86_32. Guava's
// hashUnencodedChars(s) equals this over the UTF-16LE bytes of s.
type murmur3 struct {
	h1     uint32
	tail   [3]byte
	ntail  int
	length int
}

const (
	murmurC1 = 0xcc9e2d51
	murmurC2 = 0x1b873593
)

func newMurmur3(seed int32) murmur3 { return murmur3{h1: uint32(seed)} }

func murmurMixK1(k1 uint32) uint32 {
	k1 *= murmurC1
	k1 = bits.RotateLeft32(k1, 15)
	return k1 * murmurC2
}

func (m *murmur3) writeByte(b byte) {
	m.length++
	if m.ntail < 3 {
		m.tail[m.ntail] = b
		m.ntail++
		return
	}
	k1 := uint32(m.tail[0]) | uint32(m.tail[1])<<8 | uint32(m.tail[2])<<16 | uint32(b)<<24
	m.ntail = 0
	m.h1 ^= murmurMixK1(k1)
	m.h1 = bits.RotateLeft32(m.h1, 13)
	m.h1 = m.h1*5 + 0xe6546b64
}

// writeChars feeds UTF-16 units, low byte first.
func (m *murmur3) writeChars(units []uint16) {
	for _, u := range units {
		m.writeByte(byte(u))
		m.writeByte(byte(u >> 8))
	}
}

// sum finalizes a copy, so more data may be appended afterwards.
func (m murmur3) sum() int32 {
	h1 := m.h1
	if m.ntail > 0 {
		var k1 uint32
		for i := m.ntail - 1; i >= 0; i-- {
			k1 = k1<<8 | uint32(m.tail[i])
		}
		h1 ^= murmurMixK1(k1)
	}
	h1 ^= uint32(m.length)
	h1 ^= h1 >> 16
	h1 *= 0x85ebca6b
	h1 ^= h1 >> 13
	h1 *= 0xc2b2ae35
	h1 ^= h1 >> 16
	return int32(h1)
}

// murmurHashChars is Hashing.murmur3_32(seed).hashUnencodedChars(s).asInt().
func murmurHashChars(seed int32, s string) int32 {
	m := newMurmur3(seed)
	m.writeChars(utf16Units(s))
	return m.sum()
}
