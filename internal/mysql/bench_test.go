package mysql

import (
	"strconv"
	"testing"
)

// relayHandler forwards every COM_QUERY to a backend Server (our own
// memHandler), so forwarding can be measured without MariaDB.
type relayHandler struct {
	BaseHandler
	backendAddr string
}

func (h *relayHandler) Authenticate(c *Conn, req *AuthRequest) error {
	cc, err := Dial(c.Context(), h.backendAddr, "app", "secret", "", nil)
	if err != nil {
		return err
	}
	c.Data = cc
	return nil
}

func (h *relayHandler) ComQuery(c *Conn, query string) error {
	b := c.Data.(*ClientConn)
	if err := b.WriteCommand(ComQuery, []byte(query)); err != nil {
		return err
	}
	for {
		status, err := c.ForwardResult(b, nil)
		if err != nil || status&ServerMoreResultsExists == 0 {
			return err
		}
	}
}

func (h *relayHandler) ConnectionClosed(c *Conn) {
	if cc, ok := c.Data.(*ClientConn); ok {
		cc.Close()
	}
}

// BenchmarkForwardResultSet measures a 1000-row result set relayed through
// a forwarding server: client -> relay -> backend.
func BenchmarkForwardResultSet(b *testing.B) {
	backendAddr, _, mem := startServer(b, nil)
	for i := 0; i < 1000; i++ {
		mem.rows = append(mem.rows, Row{[]byte(strconv.Itoa(i)), []byte("name-" + strconv.Itoa(i))})
	}
	relayAddr, _, _ := startServerWith(b, &relayHandler{backendAddr: backendAddr})
	cc, err := Dial(b.Context(), relayAddr, "app", "secret", "", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Close()
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for i := 0; i < b.N; i++ {
		if err := cc.WriteCommand(ComQuery, []byte("select * from t")); err != nil {
			b.Fatal(err)
		}
		if _, err := cc.ReadResultHeader(); err != nil {
			b.Fatal(err)
		}
		for {
			_, end, err := cc.ReadRow()
			if err != nil {
				b.Fatal(err)
			}
			if end {
				break
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPacketRoundTrip measures framing 1 KiB payloads through a pipe.
func BenchmarkPacketRoundTrip(b *testing.B) {
	w, r := pipePair(b)
	payload := make([]byte, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < b.N; i++ {
			if _, err := r.ReadPacketShared(); err != nil {
				return
			}
		}
	}()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := w.WritePacketFlush(payload); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}
