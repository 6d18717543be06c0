// Package sequence hands out Mycat global sequence values ("next value for
// MYCATSEQ_NAME" and autoIncrement tables) with Mycat 1.6's handler types:
// 0 local file (sequence_conf.properties), 1 database (the MYCAT_SEQUENCE
// table on a data node, allocated in blocks of its increment), 2 local time
// (snowflake). Several proxies sharing one database sequence never hand out
// the same id: the database serialises the block allocations.
package sequence

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Source gives n fresh ids of a named sequence, in increasing order.
type Source interface {
	Next(ctx context.Context, name string, n int) ([]int64, error)
}

// QueryFunc runs a one-value query on a data node (the MYCAT_SEQUENCE
// functions) and returns the value's text.
type QueryFunc func(ctx context.Context, dataNode, sql string) (string, error)

// DB is handler type 1: each name lives on the data node that
// sequence_db_conf.properties names, and mycat_seq_nextval allocates a block
// of `increment` ids there under GET_LOCK.
type DB struct {
	nodes map[string]string // upper-case name -> data node
	query QueryFunc

	mu     sync.Mutex
	blocks map[string]*block
}

type block struct{ next, last int64 }

// NewDB makes a type-1 source.
func NewDB(nodes map[string]string, query QueryFunc) *DB {
	up := make(map[string]string, len(nodes))
	for k, v := range nodes {
		up[strings.ToUpper(k)] = v
	}
	return &DB{nodes: up, query: query, blocks: map[string]*block{}}
}

func (d *DB) Next(ctx context.Context, name string, n int) ([]int64, error) {
	name = strings.ToUpper(name)
	node, ok := d.nodes[name]
	if !ok {
		return nil, fmt.Errorf("sequence %s is not in sequence_db_conf.properties", name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.blocks[name]
	if b == nil {
		b = &block{next: 1, last: 0}
		d.blocks[name] = b
	}
	ids := make([]int64, 0, n)
	for len(ids) < n {
		if b.next > b.last {
			v, err := d.query(ctx, node, "SELECT mycat_seq_nextval('"+name+"')")
			if err != nil {
				return nil, fmt.Errorf("sequence %s on %s: %w", name, node, err)
			}
			first, inc, err := parseBlock(v)
			if err != nil {
				return nil, fmt.Errorf("sequence %s on %s: %v", name, node, err)
			}
			b.next, b.last = first, first+inc-1
		}
		ids = append(ids, b.next)
		b.next++
	}
	return ids, nil
}

// parseBlock reads mycat_seq_nextval's "first,increment".
func parseBlock(v string) (first, inc int64, err error) {
	a, b, ok := strings.Cut(v, ",")
	if ok {
		first, err = strconv.ParseInt(strings.TrimSpace(a), 10, 64)
		if err == nil {
			inc, err = strconv.ParseInt(strings.TrimSpace(b), 10, 64)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("mycat_seq_nextval returned %q, want \"first,increment\"", v)
	}
	if inc <= 0 {
		return 0, 0, fmt.Errorf("no row in MYCAT_SEQUENCE (mycat_seq_nextval returned %q; the lock may also have timed out)", v)
	}
	return first, inc, nil
}

// Local is handler type 0: NAME.MINID, NAME.MAXID and NAME.CURID from
// sequence_conf.properties. Before ids are handed out the new CURID is
// saved through Persist, so a restart never repeats an id.
type Local struct {
	mu      sync.Mutex
	seqs    map[string]*LocalState
	Persist func(name string, curID int64) error
}

// LocalState is one local sequence.
type LocalState struct {
	MinID, MaxID, CurID int64
}

func NewLocal(seqs map[string]*LocalState, persist func(name string, curID int64) error) *Local {
	up := make(map[string]*LocalState, len(seqs))
	for k, v := range seqs {
		up[strings.ToUpper(k)] = v
	}
	return &Local{seqs: up, Persist: persist}
}

func (l *Local) Next(_ context.Context, name string, n int) ([]int64, error) {
	name = strings.ToUpper(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.seqs[name]
	if !ok {
		return nil, fmt.Errorf("sequence %s is not in sequence_conf.properties", name)
	}
	start := max(s.CurID+1, s.MinID)
	last := start + int64(n) - 1
	if last > s.MaxID {
		return nil, fmt.Errorf("sequence %s is exhausted (MAXID %d)", name, s.MaxID)
	}
	if l.Persist != nil {
		if err := l.Persist(name, last); err != nil {
			return nil, fmt.Errorf("sequence %s: saving CURID: %w", name, err)
		}
	}
	s.CurID = last
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = start + int64(i)
	}
	return ids, nil
}

// Snowflake is handler type 2 (Mycat's IncrSequenceTimeHandler layout):
// milliseconds since 1288834974657 << 22 | datacenter << 17 | worker << 12 |
// a 12-bit sequence. A clock that moves back is waited out when the step is
// small and refused otherwise, never turned into a repeated id.
type Snowflake struct {
	Worker, Datacenter int64
	Now                func() time.Time // nil: time.Now
	Sleep              func(time.Duration)
	MaxBackwards       time.Duration // default 5 ms

	mu       sync.Mutex
	lastMs   int64
	sequence int64
}

const (
	twepoch      = 1288834974657
	sequenceBits = 12
	sequenceMask = 1<<sequenceBits - 1
)

func (s *Snowflake) now() int64 {
	if s.Now != nil {
		return s.Now().UnixMilli()
	}
	return time.Now().UnixMilli()
}

func (s *Snowflake) Next(_ context.Context, _ string, n int) ([]int64, error) {
	if s.Worker < 0 || s.Worker > 31 || s.Datacenter < 0 || s.Datacenter > 31 {
		return nil, fmt.Errorf("sequence_time_conf.properties: WORKID %d and DATAACENTERID %d must be 0..31", s.Worker, s.Datacenter)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, n)
	for i := range ids {
		ms := s.now()
		if ms < s.lastMs {
			back := time.Duration(s.lastMs-ms) * time.Millisecond
			limit := s.MaxBackwards
			if limit <= 0 {
				limit = 5 * time.Millisecond
			}
			if back > limit {
				return nil, fmt.Errorf("clock moved backwards by %v; refusing to generate ids until it catches up", back)
			}
			s.sleep(back)
			ms = s.now()
			if ms < s.lastMs {
				return nil, fmt.Errorf("clock moved backwards by %v and did not catch up", back)
			}
		}
		if ms == s.lastMs {
			s.sequence = (s.sequence + 1) & sequenceMask
			if s.sequence == 0 {
				for ms <= s.lastMs { // this millisecond is used up
					s.sleep(time.Millisecond)
					ms = s.now()
				}
			}
		}
		if ms != s.lastMs {
			s.sequence = ms & 1 // Mycat starts a new millisecond at timestamp & 1
		}
		s.lastMs = ms
		ids[i] = (ms-twepoch)<<22 | s.Datacenter<<17 | s.Worker<<12 | s.sequence
	}
	return ids, nil
}

func (s *Snowflake) sleep(d time.Duration) {
	if s.Sleep != nil {
		s.Sleep(d)
		return
	}
	time.Sleep(d)
}
