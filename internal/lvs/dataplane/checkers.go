package dataplane

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"

	"time"

	"github.com/shardcat/shardcat/internal/mysql"
	"github.com/shardcat/shardcat/internal/script"
)

// HTTPCheckConfig is the HTTP_GET / SSL_GET specific part of a check.
type HTTPCheckConfig struct {
	TLS         bool // SSL_GET (certificates are not verified, as keepalived)
	VirtualHost string
	URLs        []HTTPURL
}

// HTTPURL is one url { } block: every URL must answer for the check to pass.
type HTTPURL struct {
	Path        string
	Digest      string   // hex MD5 of the body; "" = not checked
	StatusCodes [][2]int // inclusive ranges; empty = 200-299
	VirtualHost string   // overrides HTTPCheckConfig.VirtualHost
}

// MiscCheckConfig is the MISC_CHECK specific part of a check.
type MiscCheckConfig struct {
	Cmd     script.Command // misc_path
	Timeout time.Duration  // 0 = delay_loop
	Dynamic bool           // exit 2..255 = up with weight exit-2
}

// MySQLCheckConfig is shardcat's MYSQL_CHECK: a full login, then Query (or
// COM_PING when empty), then COM_QUIT, all within ConnectTimeout.
type MySQLCheckConfig struct {
	User, Password, Database string
	Query                    string
}

// probeResult is one probe's outcome. weight >= 0 asks for a new weight
// (MISC_CHECK misc_dynamic); -1 restores the configured one.
type probeResult struct {
	ok     bool
	weight int
}

func (cfg CheckConfig) timeout() time.Duration {
	if cfg.ConnectTimeout > 0 {
		return cfg.ConnectTimeout
	}
	return 5 * time.Second
}

// probe runs one attempt of cfg's checker.
func probe(ctx context.Context, cfg CheckConfig) probeResult {
	switch {
	case cfg.HTTP != nil:
		return probeResult{ok: probeHTTP(ctx, cfg), weight: -1}
	case cfg.Misc != nil:
		return probeMisc(ctx, cfg)
	case cfg.MySQL != nil:
		return probeResult{ok: probeMySQL(ctx, cfg) == nil, weight: -1}
	}
	return probeResult{ok: probeTCP(ctx, cfg), weight: -1}
}

func probeHTTP(ctx context.Context, cfg CheckConfig) bool {
	h := cfg.HTTP
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout())
	defer cancel()
	tr := &http.Transport{
		DialContext:       (&net.Dialer{LocalAddr: cfg.localAddr()}).DialContext,
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	scheme := "http"
	if h.TLS {
		scheme = "https"
	}
	urls := h.URLs
	if len(urls) == 0 {
		urls = []HTTPURL{{Path: "/"}}
	}
	for _, u := range urls {
		path := u.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+cfg.Addr.String()+path, nil)
		if err != nil {
			return false
		}
		if vh := u.VirtualHost; vh != "" {
			req.Host = vh
		} else if h.VirtualHost != "" {
			req.Host = h.VirtualHost
		}
		if req.Host != "" && h.TLS {
			tr.TLSClientConfig.ServerName = hostOnly(req.Host)
		}
		req.Header.Set("User-Agent", "KeepAliveClient")
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		sum := md5.New()
		_, err = io.Copy(sum, resp.Body)
		resp.Body.Close()
		if !statusMatches(resp.StatusCode, u.StatusCodes) {
			return false
		}
		if u.Digest != "" && (err != nil || !strings.EqualFold(hex.EncodeToString(sum.Sum(nil)), u.Digest)) {
			return false
		}
	}
	return true
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func statusMatches(code int, ranges [][2]int) bool {
	if len(ranges) == 0 {
		return code >= 200 && code <= 299
	}
	for _, r := range ranges {
		if code >= r[0] && code <= r[1] {
			return true
		}
	}
	return false
}

// probeMisc runs misc_path as keepalived does (script.Exec: no shell, its
// own process group, killed as a group when misc_timeout passes; a timeout
// is a failure). Exit
// 0 is up; with misc_dynamic, exit 2..255 is up with weight exit-2
// (keepalived's check_misc.c); anything else is down.
func probeMisc(ctx context.Context, cfg CheckConfig) probeResult {
	m := cfg.Misc
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = cfg.DelayLoop
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	err := script.Exec(ctx, m.Cmd, timeout)
	if err == nil {
		return probeResult{ok: true, weight: -1}
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && m.Dynamic {
		if code := ee.ExitCode(); code >= 2 && code <= 255 {
			return probeResult{ok: true, weight: code - 2}
		}
	}
	return probeResult{weight: -1}
}

// probeMySQL logs in, pings (or runs the query, reading its whole result)
// and says COM_QUIT, so the server never counts an aborted connection. Any
// error, including an ERR answer to COM_PING (a proxy put offline), fails.
func probeMySQL(ctx context.Context, cfg CheckConfig) error {
	m := cfg.MySQL
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout())
	defer cancel()
	var opts *mysql.DialOptions
	if la := cfg.localAddr(); la != nil {
		opts = &mysql.DialOptions{LocalAddr: la}
	}
	cc, err := mysql.Dial(ctx, cfg.Addr.String(), m.User, m.Password, m.Database, opts)
	if err != nil {
		return err
	}
	defer cc.Close() // COM_QUIT
	if dl, ok := ctx.Deadline(); ok {
		cc.SetDeadline(dl)
	}
	if m.Query == "" {
		return cc.Ping()
	}
	_, err = cc.Execute(m.Query)
	return err
}

func (cfg CheckConfig) kind() string {
	switch {
	case cfg.HTTP != nil && cfg.HTTP.TLS:
		return "SSL_GET"
	case cfg.HTTP != nil:
		return "HTTP_GET"
	case cfg.Misc != nil:
		return "MISC_CHECK"
	case cfg.MySQL != nil:
		return "MYSQL_CHECK"
	}
	return "TCP_CHECK"
}
