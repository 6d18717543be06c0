package mysql

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// NewScramble returns a 20-byte random scramble in MySQL's style: 7-bit
// bytes without NUL or '$', so it survives NUL-terminated fields.
func NewScramble() ([]byte, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	for i := range b {
		b[i] &= 0x7f
		if b[i] == 0 || b[i] == '$' {
			b[i]++
		}
	}
	return b, nil
}

// ScrambleNativePassword computes the mysql_native_password response:
// SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))). An empty
// password gives an empty response.
func ScrambleNativePassword(scramble []byte, password string) []byte {
	if password == "" {
		return nil
	}
	stage1 := sha1.Sum([]byte(password))
	stage2 := sha1.Sum(stage1[:])
	h := sha1.New()
	h.Write(scramble)
	h.Write(stage2[:])
	out := h.Sum(nil)
	for i := range out {
		out[i] ^= stage1[i]
	}
	return out
}

// ScrambleCachingSHA2Password computes the caching_sha2_password fast-auth
// response: SHA256(password) XOR SHA256(SHA256(SHA256(password)) + scramble).
func ScrambleCachingSHA2Password(scramble []byte, password string) []byte {
	if password == "" {
		return nil
	}
	stage1 := sha256.Sum256([]byte(password))
	stage2 := sha256.Sum256(stage1[:])
	return xorSHA2(stage1[:], stage2[:], scramble)
}

func xorSHA2(stage1, stage2, scramble []byte) []byte {
	h := sha256.New()
	h.Write(stage2)
	h.Write(scramble)
	out := h.Sum(nil)
	for i := range out {
		out[i] ^= stage1[i]
	}
	return out
}

// cachingSHA2Digest is what the fast-auth cache keeps for a user:
// SHA256(SHA256(password)), never the password itself.
func cachingSHA2Digest(password string) [32]byte {
	stage1 := sha256.Sum256([]byte(password))
	return sha256.Sum256(stage1[:])
}

// verifyCachingSHA2 checks a fast-auth response against a cached digest:
// XOR recovers SHA256(password) whose hash must be the digest.
func verifyCachingSHA2(scramble, response []byte, digest [32]byte) bool {
	if len(response) != sha256.Size {
		return false
	}
	h := sha256.New()
	h.Write(digest[:])
	h.Write(scramble)
	mask := h.Sum(nil)
	stage1 := make([]byte, sha256.Size)
	for i := range stage1 {
		stage1[i] = response[i] ^ mask[i]
	}
	got := sha256.Sum256(stage1)
	return subtle.ConstantTimeCompare(got[:], digest[:]) == 1
}

// xorPassword XORs a NUL-terminated password with the repeated scramble, as
// the RSA exchange of caching_sha2_password does before encrypting.
func xorPassword(password, scramble []byte) []byte {
	out := make([]byte, len(password))
	for i := range password {
		out[i] = password[i] ^ scramble[i%len(scramble)]
	}
	return out
}

// EncryptPassword encrypts password for caching_sha2_password full
// authentication without TLS (RSA-OAEP with SHA-1, as MySQL does).
func EncryptPassword(password string, scramble []byte, pub *rsa.PublicKey) ([]byte, error) {
	if len(scramble) == 0 {
		return nil, errors.New("mysql: empty scramble")
	}
	plain := xorPassword(append([]byte(password), 0), scramble)
	return rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, plain, nil)
}

// decryptPassword reverses EncryptPassword with the server's private key.
func decryptPassword(ciphertext, scramble []byte, key *rsa.PrivateKey) (string, error) {
	plain, err := rsa.DecryptOAEP(sha1.New(), nil, key, ciphertext, nil)
	if err != nil {
		return "", fmt.Errorf("mysql: decrypt password: %w", err)
	}
	plain = xorPassword(plain, scramble)
	if n := len(plain); n > 0 && plain[n-1] == 0 {
		plain = plain[:n-1]
	}
	return string(plain), nil
}

// ParsePublicKeyPEM parses the PEM public key a server sends (PKIX or PKCS#1).
func ParsePublicKeyPEM(data []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("mysql: server public key: no PEM block")
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		if rk, ok := k.(*rsa.PublicKey); ok {
			return rk, nil
		}
		return nil, errors.New("mysql: server public key is not RSA")
	}
	return x509.ParsePKCS1PublicKey(block.Bytes)
}

// MarshalPublicKeyPEM encodes an RSA public key as a PKIX PEM block.
func MarshalPublicKeyPEM(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// AuthRequest is one login attempt as the server saw it; the Handler decides.
type AuthRequest struct {
	User       string
	Database   string
	RemoteAddr string
	// Plugin is the method the exchange used (AuthNativePassword or
	// AuthCachingSHA2Password).
	Plugin string
	// Scramble is the server's challenge and Response the client's answer
	// to it. With Cleartext set, Response is the plaintext password (received
	// over TLS or RSA-encrypted in caching_sha2_password full auth).
	Scramble  []byte
	Response  []byte
	Cleartext bool
	// Attributes are the client's connection attributes (may be nil).
	Attributes   map[string]string
	Capabilities uint32
}

// CheckPassword reports whether the client proved knowledge of password,
// whatever the method: a handler that knows users' plaintext passwords (as
// Mycat's server.xml does) needs nothing else.
func (r *AuthRequest) CheckPassword(password string) bool {
	if r.Cleartext {
		return subtle.ConstantTimeCompare(r.Response, []byte(password)) == 1
	}
	if password == "" {
		return len(r.Response) == 0
	}
	var want []byte
	switch r.Plugin {
	case AuthNativePassword:
		want = ScrambleNativePassword(r.Scramble, password)
	case AuthCachingSHA2Password:
		want = ScrambleCachingSHA2Password(r.Scramble, password)
	default:
		return false
	}
	return subtle.ConstantTimeCompare(r.Response, want) == 1
}
