package mysql

import "crypto/tls"

// TLSCipher is the negotiated cipher suite's name ("" without TLS), for
// SHOW STATUS LIKE 'Ssl_cipher'.
func (c *Conn) TLSCipher() string {
	if tc := c.tlsConn; tc != nil {
		return tls.CipherSuiteName(tc.ConnectionState().CipherSuite)
	}
	return ""
}

// TLSVersion is the negotiated protocol ("TLSv1.3"; "" without TLS).
func (c *Conn) TLSVersion() string {
	if tc := c.tlsConn; tc != nil {
		switch tc.ConnectionState().Version {
		case tls.VersionTLS10:
			return "TLSv1"
		case tls.VersionTLS11:
			return "TLSv1.1"
		case tls.VersionTLS12:
			return "TLSv1.2"
		case tls.VersionTLS13:
			return "TLSv1.3"
		}
	}
	return ""
}
