package mycatconf

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shardcat/shardcat/internal/shard"
)

// The files of a Mycat conf directory, named as Mycat names them.
const (
	ServerFile       = "server.xml"
	SchemaFile       = "schema.xml"
	RuleFile         = "rule.xml"
	SequenceFile     = "sequence_conf.properties"      // sequnceHandlerType 0
	SequenceDBFile   = "sequence_db_conf.properties"   // sequnceHandlerType 1
	SequenceTimeFile = "sequence_time_conf.properties" // sequnceHandlerType 2
)

// FunctionFactory builds a partition function from a rule.xml <function>.
// shard.New is the real one; tests may pass a stand-in.
type FunctionFactory func(class string, props map[string]string, env shard.Env) (shard.Function, error)

// Options tune Load for callers that are not the proxy.
type Options struct {
	// NewFunction builds partition functions; nil means shard.New.
	NewFunction FunctionFactory
	// ReadOnly gives functions no WriteFile, so nothing under ruledata/ is
	// created (for --check and explain). The proxy leaves it false, as Mycat
	// persists PartitionByCRC32PreSlot's slot table at startup.
	ReadOnly bool
	// Location is the JVM default time zone for date functions; nil means
	// time.Local, which Go reads from TZ exactly where the JVM does.
	Location *time.Location
}

// ConfigError is returned by Load when any finding is an error. It lists them
// all, so an operator fixes a conf dir in one pass.
type ConfigError struct {
	Dir      string
	Findings []Finding // errors only
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mycat conf %s: %d error(s)", e.Dir, len(e.Findings))
	for _, f := range e.Findings {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}

// Load reads DIR/server.xml, DIR/schema.xml, DIR/rule.xml and the map and
// properties files they name, following Mycat 1.6's XML loaders. It returns
// every warning and error found; err is non-nil (a *ConfigError) when any
// finding is an error, and the Config is then incomplete.
func Load(dir string) (*Config, []Finding, error) {
	return LoadWith(dir, Options{})
}

// LoadWith is Load with options.
func LoadWith(dir string, opts Options) (*Config, []Finding, error) {
	if opts.NewFunction == nil {
		opts.NewFunction = defaultNewFunction
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	l := &loader{
		dir:    dir,
		opts:   opts,
		failed: map[string]bool{},
		cfg: &Config{
			Dir:       dir,
			System:    defaultSystem(),
			Users:     map[string]*User{},
			Schemas:   map[string]*Schema{},
			DataNodes: map[string]*DataNode{},
			DataHosts: map[string]*DataHost{},
			Rules:     map[string]*TableRule{},
			Functions: map[string]*Function{},
		},
	}
	// Mycat's order: rule.xml, then schema.xml (hosts, nodes, schemas), then
	// server.xml, then the cross-file checks.
	if root := l.readXML(RuleFile, "rule"); root != nil {
		l.loadRules(root)
	}
	if root := l.readXML(SchemaFile, "schema"); root != nil {
		l.loadSchemaFile(root)
	}
	l.buildFunctions()
	if root := l.readXML(ServerFile, "server"); root != nil {
		l.loadServer(root)
	}
	l.checkUsers()
	l.loadSequences()

	var errs []Finding
	for _, f := range l.findings {
		if !f.Warning {
			errs = append(errs, f)
		}
	}
	if len(errs) > 0 {
		return l.cfg, l.findings, &ConfigError{Dir: dir, Findings: errs}
	}
	return l.cfg, l.findings, nil
}

// loader carries the state of one Load.
type loader struct {
	dir      string
	opts     Options
	cfg      *Config
	findings []Finding
	// usedRules are the tableRules some table references, in first-use
	// order, with the tables using them (for per-table function copies).
	usedRules []*TableRule
	// ruleChecks are the tables to check against their function's
	// partition count once the functions are built.
	ruleChecks []ruleCheck
	// perTableNodes is the table size of each per-table rule copy.
	perTableNodes map[*TableRule]int
	// failed marks files that could not be read or parsed, so that checks
	// depending on them do not bury the one real error under echoes.
	failed map[string]bool
}

func (l *loader) errorf(file string, line int, format string, args ...any) {
	l.findings = append(l.findings, Finding{Pos: Pos{File: file, Line: line}, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(file string, line int, format string, args ...any) {
	l.findings = append(l.findings, Finding{Pos: Pos{File: file, Line: line}, Warning: true, Message: fmt.Sprintf(format, args...)})
}

// path resolves a name from the configuration relative to the conf dir, as
// Mycat's classpath lookups do (the conf dir is on its classpath).
func (l *loader) path(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(l.dir, name)
}

// readXML reads and parses one of the three XML files and checks its root
// element's local name.
func (l *loader) readXML(file, rootName string) *element {
	root := l.parseFile(file, rootName)
	if root == nil {
		l.failed[file] = true
	}
	return root
}

func (l *loader) parseFile(file, rootName string) *element {
	data, err := os.ReadFile(l.path(file))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			l.errorf(file, 0, "file not found in conf dir %s", l.dir)
		} else {
			l.errorf(file, 0, "%v", err)
		}
		return nil
	}
	root, err := parseXML(data)
	if err != nil {
		l.errorf(file, xmlErrorLine(err), "malformed XML: %v", err)
		return nil
	}
	if root.Name != rootName {
		l.errorf(file, root.Line, "root element is <%s>, expected <mycat:%s>", root.Name, rootName)
		return nil
	}
	return root
}

// xmlErrorLine digs the line out of encoding/xml's syntax errors.
func xmlErrorLine(err error) int {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return se.Line
	}
	var n int
	if _, scanErr := fmt.Sscanf(err.Error(), "line %d:", &n); scanErr == nil {
		return n
	}
	return 0
}

// readConfFile is the Env.ReadFile handed to partition functions.
func (l *loader) readConfFile(name string) ([]byte, error) {
	if name == "" {
		return nil, errors.New("empty file name")
	}
	return os.ReadFile(l.path(name))
}

// writeConfFile is the Env.WriteFile handed to partition functions: state
// files live under the conf dir (ruledata/ for the CRC32 slot tables).
func (l *loader) writeConfFile(name string, data []byte) error {
	if name == "" {
		return errors.New("empty file name")
	}
	p := l.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}
