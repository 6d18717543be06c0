package shard

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"time"
)

// memFS is an in-memory conf directory for Env.
type memFS map[string]string

func (m memFS) env(rule string) Env {
	return Env{
		ReadFile: func(name string) ([]byte, error) {
			data, ok := m[name]
			if !ok {
				return nil, fmt.Errorf("open %s: %w", name, fs.ErrNotExist)
			}
			return []byte(data), nil
		},
		WriteFile: func(name string, data []byte) error {
			m[name] = string(data)
			return nil
		},
		RuleName: rule,
		Location: time.UTC,
		Now:      func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) },
	}
}

func mustNew(t *testing.T, class string, props map[string]string, files memFS) Function {
	t.Helper()
	if files == nil {
		files = memFS{}
	}
	fn, err := New(class, props, files.env("rule1"))
	if err != nil {
		t.Fatalf("New(%s, %v): %v", class, props, err)
	}
	return fn
}

type placement struct {
	value string
	want  int
}

func checkPlacements(t *testing.T, fn Function, cases []placement) {
	t.Helper()
	for _, c := range cases {
		got, err := fn.Calculate(c.value)
		if err != nil {
			t.Errorf("Calculate(%q): %v, want %d", c.value, err, c.want)
			continue
		}
		if got != c.want {
			t.Errorf("Calculate(%q) = %d, want %d", c.value, got, c.want)
		}
	}
}

func checkUnplaceable(t *testing.T, fn Function, values ...string) {
	t.Helper()
	for _, v := range values {
		got, err := fn.Calculate(v)
		if err == nil {
			t.Errorf("Calculate(%q) = %d, want an error", v, got)
			continue
		}
		if !errors.Is(err, ErrNoPartition) {
			t.Errorf("Calculate(%q) error %v does not wrap ErrNoPartition", v, err)
		}
	}
}
