package mysql

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync/atomic"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

var registrations atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, registrations.Add(1))
}

// lastLogin returns the last AuthRequest the handler saw.
func (h *memHandler) lastLogin() *AuthRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.logins) == 0 {
		return nil
	}
	return h.logins[len(h.logins)-1]
}

func TestServerCachingSHA2OverTLS(t *testing.T) {
	serverTLS, clientTLS := testTLSConfigs(t)
	addr, _, h := startServer(t, func(s *Server) {
		s.AuthPlugin = AuthCachingSHA2Password
		s.TLSConfig = serverTLS
	})
	name := uniqueName("tls")
	if err := gomysql.RegisterTLSConfig(name, clientTLS); err != nil {
		t.Fatal(err)
	}
	dsn := "sha2user:sha2pw@tcp(" + addr + ")/test?tls=" + name
	// First login: nothing cached, full auth with the password in clear over TLS.
	if err := openDB(t, dsn).Ping(); err != nil {
		t.Fatalf("full auth over TLS: %v", err)
	}
	if l := h.lastLogin(); !l.Cleartext || l.Plugin != AuthCachingSHA2Password {
		t.Errorf("first login = %+v, want cleartext caching_sha2", l)
	}
	// Second login: fast auth from the cache, no password on the wire.
	if err := openDB(t, dsn).Ping(); err != nil {
		t.Fatalf("fast auth: %v", err)
	}
	if l := h.lastLogin(); l.Cleartext || l.Plugin != AuthCachingSHA2Password {
		t.Errorf("second login = %+v, want fast (scrambled) auth", l)
	}
	err := openDB(t, "sha2user:wrong@tcp("+addr+")/test?tls="+name).Ping()
	if sqlCode(err) != ERAccessDenied {
		t.Errorf("wrong password: %v, want 1045", err)
	}
}

func TestServerCachingSHA2WithRSA(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	addr, srv, h := startServer(t, func(s *Server) {
		s.AuthPlugin = AuthCachingSHA2Password
		s.RSAKey = key
	})
	// The client pins the server key: encrypted password right after 0x04.
	name := uniqueName("pub")
	gomysql.RegisterServerPubKey(name, &key.PublicKey)
	if err := openDB(t, "sha2user:sha2pw@tcp("+addr+")/?serverPubKey="+name).Ping(); err != nil {
		t.Fatalf("RSA full auth with pinned key: %v", err)
	}
	if l := h.lastLogin(); !l.Cleartext {
		t.Errorf("want full auth, got %+v", l)
	}
	// Without a pinned key the client asks for it (0x02) and gets the PEM.
	srv.ForgetCachedPassword("sha2user")
	if err := openDB(t, "sha2user:sha2pw@tcp("+addr+")/").Ping(); err != nil {
		t.Fatalf("RSA full auth with key request: %v", err)
	}
	if l := h.lastLogin(); !l.Cleartext {
		t.Errorf("want full auth, got %+v", l)
	}
	err = openDB(t, "sha2user:bad@tcp("+addr+")/").Ping()
	if sqlCode(err) != ERAccessDenied {
		t.Errorf("wrong password over RSA: %v, want 1045", err)
	}
	// Our own client: both the retrieval and the pinned-key paths.
	srv.ForgetCachedPassword("sha2user")
	if _, err := Dial(t.Context(), addr, "sha2user", "sha2pw", "", nil); err == nil {
		t.Error("full auth without TLS, key or retrieval must fail")
	}
	cc, err := Dial(t.Context(), addr, "sha2user", "sha2pw", "", &DialOptions{AllowPublicKeyRetrieval: true})
	if err != nil {
		t.Fatal(err)
	}
	cc.Close()
	srv.ForgetCachedPassword("sha2user")
	cc, err = Dial(t.Context(), addr, "sha2user", "sha2pw", "", &DialOptions{ServerPubKey: &key.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	cc.Close()
	// Now cached: fast auth needs no key at all.
	cc, err = Dial(t.Context(), addr, "sha2user", "sha2pw", "", nil)
	if err != nil {
		t.Fatalf("fast auth with our client: %v", err)
	}
	cc.Close()
}

func TestServerAuthSwitch(t *testing.T) {
	addr, _, h := startServer(t, func(s *Server) {
		// The greeting offers native; sha2user must use caching_sha2.
		s.UserAuthPlugin = func(user string) string {
			if user == "sha2user" {
				return AuthCachingSHA2Password
			}
			return ""
		}
	})
	if err := openDB(t, "sha2user:sha2pw@tcp("+addr+")/?allowCleartextPasswords=true").Ping(); err != nil {
		t.Fatalf("auth switch native -> caching_sha2: %v", err)
	}
	if l := h.lastLogin(); l.Plugin != AuthCachingSHA2Password {
		t.Errorf("plugin = %q, want caching_sha2_password", l.Plugin)
	}
	// The other direction: the greeting offers caching_sha2, app uses native.
	addr2, _, h2 := startServer(t, func(s *Server) {
		s.AuthPlugin = AuthCachingSHA2Password
		s.UserAuthPlugin = func(user string) string {
			if user == "app" {
				return AuthNativePassword
			}
			return ""
		}
	})
	if err := openDB(t, "app:secret@tcp("+addr2+")/").Ping(); err != nil {
		t.Fatalf("auth switch caching_sha2 -> native: %v", err)
	}
	if l := h2.lastLogin(); l.Plugin != AuthNativePassword {
		t.Errorf("plugin = %q, want mysql_native_password", l.Plugin)
	}
	cc, err := Dial(t.Context(), addr2, "app", "secret", "", nil)
	if err != nil {
		t.Fatalf("our client through auth switch: %v", err)
	}
	cc.Close()
	if _, err := Dial(t.Context(), addr2, "app", "nope", "", nil); err == nil {
		t.Error("wrong password accepted after auth switch")
	}
}

func TestServerRequireTLS(t *testing.T) {
	serverTLS, clientTLS := testTLSConfigs(t)
	addr, _, _ := startServer(t, func(s *Server) {
		s.TLSConfig = serverTLS
		s.RequireTLS = true
	})
	if _, err := Dial(t.Context(), addr, "app", "secret", "", nil); err == nil {
		t.Error("login without TLS accepted")
	}
	cc, err := Dial(t.Context(), addr, "app", "secret", "test", &DialOptions{TLSConfig: clientTLS})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	r, err := cc.Execute("select 1")
	if err != nil || len(r.Rows) != 1 || string(r.Rows[0][0]) != "1" {
		t.Fatalf("select 1 over TLS: %+v, %v", r, err)
	}
}
