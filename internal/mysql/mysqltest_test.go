package mysql

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// mariaDB is a throwaway MariaDB server started by a test (test-only; the
// shared harness in internal/testenv will replace this launcher).
type mariaDB struct {
	Addr      string // 127.0.0.1:port
	User      string // "bench", all privileges, mysql_native_password
	Password  string
	ClientTLS *tls.Config // trusts the server's self-signed certificate
}

// startMariaDB installs a data directory in t.TempDir(), starts mariadbd on
// a free loopback port with TLS, a 64 MiB max_allowed_packet and extraArgs,
// creates the
// bench user, and kills the server in t.Cleanup. Without mariadbd the test
// is skipped, unless CI=true, where that is a failure.
func startMariaDB(t testing.TB, extraArgs ...string) *mariaDB {
	t.Helper()
	mariadbd, err := exec.LookPath("mariadbd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/mariadbd"); err2 == nil {
			mariadbd = "/usr/sbin/mariadbd"
		} else {
			if os.Getenv("CI") == "true" {
				t.Fatalf("mariadbd not found and CI=true: install mariadb-server")
			}
			t.Skip("mariadbd not found: install mariadb-server to run the MariaDB tests")
		}
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	certFile, keyFile, clientTLS := writeTestCert(t, dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	sock := filepath.Join(dir, "mysqld.sock")
	cmd := exec.Command(mariadbd, "--no-defaults", "--datadir="+data, "--port="+strconv.Itoa(port),
		"--bind-address=127.0.0.1", "--socket="+sock, "--pid-file="+filepath.Join(dir, "mysqld.pid"),
		"--log-error="+filepath.Join(dir, "error.log"), "--user=root", "--skip-name-resolve",
		"--server-id="+strconv.Itoa(port), "--innodb-buffer-pool-size=32M", "--max-allowed-packet=64M",
		"--ssl-cert="+certFile, "--ssl-key="+keyFile, "--max-connections=50")
	cmd.Args = append(cmd.Args, extraArgs...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mariadbd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	setup := "DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES; " +
		"CREATE USER 'bench'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('benchpw'); " +
		"GRANT ALL PRIVILEGES ON *.* TO 'bench'@'%' WITH GRANT OPTION;"
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("mariadbd exited: %v\n%s", err, log)
		default:
		}
		out, err := exec.Command("mariadb", "--no-defaults", "-uroot", "--socket="+sock, "-e", setup).CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("mariadbd not ready: %v %s\n%s", err, out, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &mariaDB{Addr: fmt.Sprintf("127.0.0.1:%d", port), User: "bench", Password: "benchpw", ClientTLS: clientTLS}
}

// dial logs in to the MariaDB server as bench.
func (m *mariaDB) dial(t testing.TB, db string, opts *DialOptions) *ClientConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cc, err := Dial(ctx, m.Addr, m.User, m.Password, db, opts)
	if err != nil {
		t.Fatalf("dial MariaDB: %v", err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 (PEM files
// for mariadbd) and returns a client config trusting it.
func writeTestCert(t testing.TB, dir string) (certFile, keyFile string, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}
