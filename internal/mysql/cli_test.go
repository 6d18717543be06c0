package mysql

import (
	"os/exec"
	"strings"
	"testing"
)

// TestServerWithMariaDBClient logs in with the mariadb command-line client
// (libmariadb: a second, C implementation of the protocol), natively and
// with caching_sha2_password over TLS.
func TestServerWithMariaDBClient(t *testing.T) {
	cli, err := exec.LookPath("mariadb")
	if err != nil {
		t.Skip("mariadb client not installed")
	}
	serverTLS, _ := testTLSConfigs(t)
	addr, _, _ := startServer(t, func(s *Server) {
		s.TLSConfig = serverTLS
		s.UserAuthPlugin = func(user string) string {
			if user == "sha2user" {
				return AuthCachingSHA2Password
			}
			return ""
		}
	})
	host, port, _ := strings.Cut(addr, ":")
	run := func(args ...string) (string, error) {
		base := []string{"--no-defaults", "-h", host, "-P", port, "--batch", "--skip-column-names"}
		out, err := exec.Command(cli, append(base, args...)...).CombinedOutput()
		return string(out), err
	}
	out, err := run("-uapp", "-psecret", "test", "-e", "insert into t values cli; select * from t")
	if err != nil || out != "1\tcli\n" {
		t.Errorf("mariadb client: %q, %v", out, err)
	}
	out, err = run("-uapp", "-psecret", "--ssl", "--ssl-verify-server-cert=0", "-e", "select 1")
	if err != nil || out != "1\n" {
		t.Errorf("mariadb client over TLS: %q, %v", out, err)
	}
	// caching_sha2_password if the client has the plugin: full auth over TLS
	// after an auth switch, then fast auth with the client's own choice.
	for i, extra := range []string{"--ssl", "--default-auth=caching_sha2_password"} {
		out, err = run("-usha2user", "-psha2pw", "--ssl", "--ssl-verify-server-cert=0", extra, "-e", "select 1")
		if err != nil && strings.Contains(out, "plugin") {
			t.Logf("client lacks caching_sha2_password: %s", out)
			break
		}
		if err != nil || out != "1\n" {
			t.Errorf("caching_sha2 login %d: %q, %v", i, out, err)
		}
	}
	out, err = run("-uapp", "-pwrong", "-e", "select 1")
	if err == nil || !strings.Contains(out, "1045") {
		t.Errorf("wrong password: %q, %v", out, err)
	}
}
