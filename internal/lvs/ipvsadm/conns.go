package ipvsadm

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
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
	var conns []Conn
	err := EachConn(ctx, path, nil, func(c Conn) error {
		conns = append(conns, c)
		return nil
	})
	return conns, err
}

// ErrNoDirector wraps the error of a listing that got no answer: nothing
// listens on the socket, or what does sent no listing.
var ErrNoDirector = errors.New("no director answering")

// EachConn asks the director on the socket at path for its connection
// entries and calls fn with each as it is read, so that a listing of a
// million entries is never held whole. begin, if not nil, is called once
// the director has started its answer, before the first entry.
func EachConn(ctx context.Context, path string, begin func() error, fn func(Conn) error) error {
	c, err := request(ctx, path, OpConns, connsTimeout)
	if err != nil {
		return fmt.Errorf("%w on %s: %v", ErrNoDirector, path, err)
	}
	defer c.Close()
	return decodeConns(bufio.NewReaderSize(c, 64<<10), path, begin, fn)
}

// decodeConns reads the director's answer to OpConns from r:
// {"data":[entry,...]}, or {"error":"..."}. Only a whole listing is a nil
// error.
func decodeConns(r io.Reader, path string, begin func() error, fn func(Conn) error) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("%w on %s: %v", ErrNoDirector, path, err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return fmt.Errorf("reading the director's answer: %w", err)
		}
		switch key {
		case "error":
			var msg string
			if err := decode(dec, &msg); err != nil {
				return err
			}
			return errors.New(msg)
		case "data":
		default:
			if err := decode(dec, new(json.RawMessage)); err != nil {
				return err
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return err
		}
		if begin != nil {
			if err := begin(); err != nil {
				return err
			}
		}
		for dec.More() {
			var e Conn
			if err := decode(dec, &e); err != nil {
				return err
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		// The closing ] and } prove the listing is whole.
		if err := expectDelim(dec, ']'); err != nil {
			return err
		}
		return expectDelim(dec, '}')
	}
	return errors.New("empty answer from the director")
}

// decode reads the answer's next value into v.
func decode(dec *json.Decoder, v any) error {
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("reading the director's answer: %w", err)
	}
	return nil
}

// expectDelim reads the answer's next token, which must be want.
func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err == nil && t != want {
		err = fmt.Errorf("expected %q, got %v", want, t)
	}
	if err != nil {
		return fmt.Errorf("reading the director's answer: %w", err)
	}
	return nil
}

// ConnsTitle is what ipvsadm -L -c -n prints before the entries.
var ConnsTitle = "IPVS connection entries\n" + fmt.Sprintf("pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination")

// FormatConn prints one entry as ipvsadm -L -c -n does (print_conn in
// ipvsadm.c: the expiry as MM:SS).
func FormatConn(w io.Writer, c Conn) error {
	expire := fmt.Sprintf("%02d:%02d", c.Expire/60, c.Expire%60)
	_, err := fmt.Fprintf(w, "%-3s %-6s %-11s %-18s %-18s %s\n", c.Protocol, expire, c.State, c.Source, c.Virtual, c.Dest)
	return err
}

// FormatConns prints conns as ipvsadm -L -c -n does (list_conn).
func FormatConns(w io.Writer, conns []Conn) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(ConnsTitle)
	for _, c := range conns {
		FormatConn(bw, c)
	}
	return bw.Flush()
}
