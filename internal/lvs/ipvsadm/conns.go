package ipvsadm

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/dataplane"
)

// Conn is one entry of ipvsadm -L -c: a connection or a persistence
// template (State NONE, client port 0).
type Conn struct {
	Protocol string         `json:"protocol"`
	Expire   uint32         `json:"expire"` // seconds left
	State    string         `json:"state"`
	Source   netip.AddrPort `json:"source"`
	Virtual  netip.AddrPort `json:"virtual"`
	Dest     netip.AddrPort `json:"dest"`
}

// connLister is a Source that can list its connections (*dataplane.Service).
type connLister interface {
	Connections() []dataplane.ConnEntry
}

// OpConns is the control-socket op answering the connection entries.
const OpConns = "conns"

// connsTimeout bounds a connection listing, which can be long: a busy
// director keeps hundreds of thousands of TIME_WAIT entries, as IPVS does.
const connsTimeout = time.Minute

// eachConn calls fn with each connection entry, in service order, until fn
// fails.
func (s *Server) eachConn(fn func(Conn) error) error {
	s.mu.Lock()
	sources := s.sources
	s.mu.Unlock()
	for _, src := range sources {
		cl, ok := src.(connLister)
		if !ok {
			continue
		}
		for _, e := range cl.Connections() {
			if err := fn(Conn{Protocol: e.Protocol, Expire: uint32(e.Expire / time.Second), State: e.State,
				Source: e.Source, Virtual: e.Virtual, Dest: e.Dest}); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeConns answers OpConns on w as a Response whose data is the entries'
// array, written as they are listed: no copy of the whole answer is held.
func (s *Server) writeConns(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"data":[`)
	first := true
	enc := json.NewEncoder(bw)
	err := s.eachConn(func(c Conn) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		return enc.Encode(c) // its newline is JSON whitespace
	})
	if err != nil {
		return err
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// MarshalJSON writes c as an array, [protocol, expire, state, source,
// virtual, dest]: a listing can hold a million entries.
func (c Conn) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{c.Protocol, c.Expire, c.State, c.Source, c.Virtual, c.Dest})
}

// UnmarshalJSON reads the array MarshalJSON writes.
func (c *Conn) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &[]any{&c.Protocol, &c.Expire, &c.State, &c.Source, &c.Virtual, &c.Dest})
}

// FetchConns asks the director on the socket at path for its connection entries.
func FetchConns(ctx context.Context, path string) ([]Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connsTimeout)
	defer cancel()
	resp, err := exchangeFor(ctx, path, OpConns, connsTimeout)
	if err != nil {
		return nil, err
	}
	var conns []Conn
	if err := json.Unmarshal(resp.Data, &conns); err != nil {
		return nil, err
	}
	return conns, nil
}

// FormatConns prints conns as ipvsadm -L -c -n does (list_conn and
// print_conn in ipvsadm.c: the expiry as MM:SS).
func FormatConns(w io.Writer, conns []Conn) error {
	var b strings.Builder
	b.WriteString("IPVS connection entries\n")
	fmt.Fprintf(&b, "pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination")
	for _, c := range conns {
		expire := fmt.Sprintf("%02d:%02d", c.Expire/60, c.Expire%60)
		fmt.Fprintf(&b, "%-3s %-6s %-11s %-18s %-18s %s\n", c.Protocol, expire, c.State, c.Source, c.Virtual, c.Dest)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
