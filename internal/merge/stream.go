package merge

import (
	"container/heap"
	"io"
	"slices"
)

// Stream yields rows until io.EOF.
type Stream interface {
	Next() (Row, error)
}

// SliceStream serves rows from memory.
type SliceStream struct {
	Rows []Row
	i    int
}

func (s *SliceStream) Next() (Row, error) {
	if s.i >= len(s.Rows) {
		return nil, io.EOF
	}
	s.i++
	return s.Rows[s.i-1], nil
}

// Concat yields every row of each stream in turn.
type Concat struct {
	Streams []Stream
}

func (c *Concat) Next() (Row, error) {
	for len(c.Streams) > 0 {
		r, err := c.Streams[0].Next()
		if err == io.EOF {
			c.Streams = c.Streams[1:]
			continue
		}
		return r, err
	}
	return nil, io.EOF
}

// Sorted merges streams that are each sorted by Keys into one sorted stream
// (a k-way merge: it holds one row per stream, never the whole result).
// Ties go to the stream listed first, so the merge is stable.
type Sorted struct {
	keys    []Key
	streams []Stream
	h       *rowHeap
	started bool
}

func NewSorted(streams []Stream, keys []Key) *Sorted {
	return &Sorted{keys: keys, streams: streams, h: &rowHeap{keys: keys}}
}

func (m *Sorted) Next() (Row, error) {
	if !m.started {
		m.started = true
		for i, s := range m.streams {
			if err := m.pull(i, s); err != nil {
				return nil, err
			}
		}
		heap.Init(m.h)
	}
	if m.h.Len() == 0 {
		return nil, io.EOF
	}
	top := m.h.items[0]
	r, err := m.streams[top.stream].Next()
	switch {
	case err == io.EOF:
		heap.Pop(m.h)
	case err != nil:
		return nil, err
	default:
		m.h.items[0] = heapItem{row: r, stream: top.stream}
		heap.Fix(m.h, 0)
	}
	return top.row, nil
}

func (m *Sorted) pull(i int, s Stream) error {
	r, err := s.Next()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	m.h.items = append(m.h.items, heapItem{row: r, stream: i})
	return nil
}

type heapItem struct {
	row    Row
	stream int
}

type rowHeap struct {
	keys  []Key
	items []heapItem
}

func (h *rowHeap) Len() int { return len(h.items) }
func (h *rowHeap) Less(i, j int) bool {
	c := Compare(h.items[i].row, h.items[j].row, h.keys)
	if c != 0 {
		return c < 0
	}
	return h.items[i].stream < h.items[j].stream
}
func (h *rowHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *rowHeap) Push(x any)    { h.items = append(h.items, x.(heapItem)) }
func (h *rowHeap) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}

// Limit skips Offset rows, then yields at most Count (Count < 0: no limit),
// and stops reading its source as soon as it is done.
type Limit struct {
	Src           Stream
	Offset, Count int64
	skipped, sent int64
}

func (l *Limit) Next() (Row, error) {
	for l.skipped < l.Offset {
		if _, err := l.Src.Next(); err != nil {
			return nil, err
		}
		l.skipped++
	}
	if l.Count >= 0 && l.sent >= l.Count {
		return nil, io.EOF
	}
	r, err := l.Src.Next()
	if err == nil {
		l.sent++
	}
	return r, err
}

func stableSort(rows []Row, cmp func(a, b Row) int) { slices.SortStableFunc(rows, cmp) }
