package sched

import "math/bits"

// sipRound is one SipHash compression/finalisation round.
func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// sipHash is SipHash-c-d over msg with key (k0, k1), returning 64 bits.
func sipHash(c, d int, k0, k1 uint64, msg []byte) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	b := uint64(len(msg)) << 56
	for len(msg) >= 8 {
		var m uint64
		for i := 7; i >= 0; i-- {
			m = m<<8 | uint64(msg[i])
		}
		v3 ^= m
		for range c {
			v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		}
		v0 ^= m
		msg = msg[8:]
	}
	for i := len(msg) - 1; i >= 0; i-- {
		b |= uint64(msg[i]) << (8 * i)
	}
	v3 ^= b
	for range c {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	v0 ^= b
	v2 ^= 0xff
	for range d {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}

// hsiphash32 is the kernel's hsiphash of one native (little-endian) u32 on
// 64-bit kernels, where it is SipHash-1-3 truncated to 32 bits.
func hsiphash32(v uint32, k0, k1 uint64) uint32 {
	msg := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	return uint32(sipHash(1, 3, k0, k1, msg))
}
