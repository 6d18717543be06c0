package shard

import (
	"errors"
	"io/fs"
	"sort"
	"strings"
)

// props reads a <function>'s properties the way Mycat's bean mapping
// would, and remembers which ones were used so that a misspelt property is
// an error instead of a silent default. Values are trimmed of XML layout
// whitespace.
type props struct {
	class string
	raw   map[string]string
	used  map[string]bool
}

func newProps(class string, raw map[string]string) *props {
	return &props{class: class, raw: raw, used: map[string]bool{}}
}

func (p *props) lookup(name string) (string, bool) {
	p.used[name] = true
	v, ok := p.raw[name]
	return javaTrim(v), ok
}

// str returns the property, or def when it is absent or empty.
func (p *props) str(name, def string) string {
	if v, ok := p.lookup(name); ok && v != "" {
		return v
	}
	return def
}

func (p *props) required(name, what string) (string, error) {
	v, ok := p.lookup(name)
	if !ok || v == "" {
		return "", configError(p.class, name, "missing; want %s", what)
	}
	return v, nil
}

// int32 parses an int property with Integer.parseInt rules.
func (p *props) int32(name string, def int32) (int32, error) {
	v, ok := p.lookup(name)
	if !ok || v == "" {
		return def, nil
	}
	n, err := javaParseInt(v)
	if err != nil {
		return 0, configError(p.class, name, "%q is not a 32-bit integer", v)
	}
	return n, nil
}

func (p *props) requiredInt32(name, what string) (int32, error) {
	v, err := p.required(name, what)
	if err != nil {
		return 0, err
	}
	n, err := javaParseInt(v)
	if err != nil {
		return 0, configError(p.class, name, "%q is not a 32-bit integer; want %s", v, what)
	}
	return n, nil
}

func (p *props) positiveInt32(name string, def int32, required bool) (int32, error) {
	var n int32
	var err error
	if required {
		n, err = p.requiredInt32(name, "a positive integer")
	} else {
		n, err = p.int32(name, def)
	}
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, configError(p.class, name, "%d: want a positive integer", n)
	}
	return n, nil
}

// unknown reports properties the class does not have.
func (p *props) unknown() error {
	var extra []string
	for name := range p.raw {
		if !p.used[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return configError(p.class, "", "unknown propert%s %s", map[bool]string{true: "y", false: "ies"}[len(extra) == 1], strings.Join(extra, ", "))
}

// readFile reads a file named by a property through env.
func (p *props) readFile(env Env, property string) (string, []byte, error) {
	name, err := p.required(property, "a file name relative to the conf directory")
	if err != nil {
		return "", nil, err
	}
	if env.ReadFile == nil {
		return "", nil, configError(p.class, property, "cannot read %s: no file access configured", name)
	}
	data, err := env.ReadFile(name)
	if err != nil {
		return "", nil, configError(p.class, property, "cannot read %s: %v", name, err)
	}
	return name, data, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
