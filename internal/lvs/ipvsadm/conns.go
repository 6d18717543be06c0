package ipvsadm

import (
	"context"
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

// Conns lists the connection entries of every source that keeps them, in
// service order.
func (s *Server) Conns() []Conn {
	s.mu.Lock()
	sources := s.sources
	s.mu.Unlock()
	out := []Conn{}
	for _, src := range sources {
		cl, ok := src.(connLister)
		if !ok {
			continue
		}
		for _, e := range cl.Connections() {
			out = append(out, Conn{Protocol: e.Protocol, Expire: uint32(e.Expire / time.Second), State: e.State,
				Source: e.Source, Virtual: e.Virtual, Dest: e.Dest})
		}
	}
	return out
}

// FetchConns asks the director on the socket at path for its connection entries.
func FetchConns(ctx context.Context, path string) ([]Conn, error) {
	var conns []Conn
	err := Call(ctx, path, OpConns, &conns)
	return conns, err
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
