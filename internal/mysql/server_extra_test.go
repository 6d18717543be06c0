package mysql

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestServerFieldList(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	for _, deprecateEOF := range []bool{true, false} {
		cc, err := Dial(t.Context(), addr, "app", "secret", "test", &DialOptions{DisableDeprecateEOF: !deprecateEOF})
		if err != nil {
			t.Fatal(err)
		}
		cols, err := cc.FieldList("t", "")
		if err != nil || len(cols) != 2 || cols[1].Name != "name" || cols[1].DefaultValue == nil {
			t.Errorf("FieldList = %+v, %v", cols, err)
		}
		var se *SQLError
		if _, err := cc.FieldList("nosuch", ""); !errors.As(err, &se) || se.Code != ERNoSuchTable {
			t.Errorf("FieldList(nosuch) = %v", err)
		}
		cc.Close()
	}
}

func TestServerChangeUser(t *testing.T) {
	addr, _, h := startServer(t, nil)
	cc, err := Dial(t.Context(), addr, "app", "secret", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	changeUser := func(user, password, db string) error {
		auth := ScrambleNativePassword(cc.greeting.AuthData, password)
		arg := append([]byte(user), 0, byte(len(auth)))
		arg = append(arg, auth...)
		arg = append(append(arg, db...), 0)
		arg = append(arg, CharsetUTF8MB4GeneralCI, 0)
		arg = append(append(arg, AuthNativePassword...), 0)
		return cc.simpleCommand(ComChangeUser, arg)
	}
	if err := changeUser("empty", "", "test"); err != nil {
		t.Fatalf("change user: %v", err)
	}
	if l := h.lastLogin(); l.User != "empty" || l.Database != "test" {
		t.Errorf("handler saw %+v", l)
	}
	err = changeUser("app", "wrong", "")
	var se *SQLError
	if !errors.As(err, &se) || se.Code != ERAccessDenied {
		t.Errorf("change user with a wrong password: %v", err)
	}
}

func TestServerMaxConnectionsAndClose(t *testing.T) {
	addr, srv, h := startServer(t, func(s *Server) { s.MaxConnections = 1 })
	first, err := Dial(t.Context(), addr, "app", "secret", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Dial(t.Context(), addr, "app", "secret", "", nil)
	var se *SQLError
	if !errors.As(err, &se) || se.Code != ERConCount || se.State != "08004" {
		t.Errorf("second connection: %v, want ER_CON_COUNT", err)
	}
	// Close ends live connections and tells the handler.
	srv.Close()
	first.SetDeadline(time.Now().Add(5 * time.Second))
	if err := first.Ping(); err == nil {
		t.Error("ping after server Close succeeded")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed != 1 {
		t.Errorf("ConnectionClosed called %d times, want 1", h.closed)
	}
}

func TestServerIdleTimeoutAndKill(t *testing.T) {
	addr, srv, _ := startServer(t, func(s *Server) { s.IdleTimeout = 200 * time.Millisecond })
	idle, err := Dial(t.Context(), addr, "app", "secret", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	time.Sleep(400 * time.Millisecond)
	idle.SetDeadline(time.Now().Add(5 * time.Second))
	if err := idle.Ping(); err == nil {
		t.Error("idle connection still open after IdleTimeout")
	}
	victim, err := Dial(t.Context(), addr, "app", "secret", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	if !srv.CloseConnection(victim.ConnectionID()) {
		t.Fatal("CloseConnection did not find the connection")
	}
	victim.SetDeadline(time.Now().Add(5 * time.Second))
	if err := victim.Ping(); err == nil || !victim.IsBroken() {
		t.Errorf("killed connection: ping = %v, broken = %v", err, victim.IsBroken())
	}
	if srv.CloseConnection(999999) {
		t.Error("CloseConnection found a connection that does not exist")
	}
}

// TestErrorInsideResultSet: an ERR after some rows ends the response, for a
// direct client and through a forwarding relay, and both stay in step.
func TestErrorInsideResultSet(t *testing.T) {
	backendAddr, _, _ := startServer(t, nil)
	relayAddr, _, _ := startServerWith(t, &relayHandler{backendAddr: backendAddr})
	for _, addr := range []string{backendAddr, relayAddr} {
		for _, deprecateEOF := range []bool{true, false} {
			cc, err := Dial(t.Context(), addr, "app", "secret", "", &DialOptions{DisableDeprecateEOF: !deprecateEOF})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cc.Execute("rows then error")
			var se *SQLError
			if !errors.As(err, &se) || se.Code != ERQueryInterrupted || se.State != "70100" {
				t.Errorf("%s: err = %v, want 1317", addr, err)
			}
			if r, err := cc.Execute("select 1"); err != nil || rowsText(r.Rows) != "1" {
				t.Errorf("%s: next query = %v, %v", addr, r, err)
			}
			cc.Close()
		}
	}
}

// TestClientAbortOnCancel: a query blocked on a slow backend returns as
// soon as the guarding context ends, and the connection is marked broken.
func TestClientAbortOnCancel(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	cc, err := Dial(t.Context(), addr, "app", "secret", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithCancel(t.Context())
	stop := cc.AbortOnCancel(ctx)
	defer stop()
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err = cc.Execute("sleep")
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("aborted query returned after %v", d)
	}
	if !cc.IsBroken() || cc.Err() == nil {
		t.Error("aborted connection not marked broken")
	}
	// A connection whose guard was stopped in time stays usable.
	other, err := Dial(t.Context(), addr, "app", "secret", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx2, cancel2 := context.WithCancel(t.Context())
	stop2 := other.AbortOnCancel(ctx2)
	if _, err := other.Execute("select 1"); err != nil {
		t.Fatal(err)
	}
	if !stop2() {
		t.Error("stop did not prevent the abort")
	}
	cancel2()
	if err := other.Ping(); err != nil {
		t.Errorf("ping after stopped guard: %v", err)
	}
}
