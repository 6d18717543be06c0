package keepalivedconf

import (
	"fmt"
	"os"
	"strings"
)

// Options change how a configuration is read.
type Options struct {
	// ConfigID is keepalived's config id (its -i option): "@ID line" is kept
	// only when ID equals it, "@^ID line" only when it differs. Load uses the
	// host name up to the first '.' when it is empty, as keepalived does;
	// Parse uses it as given, so "" keeps no "@ID" line.
	ConfigID string
}

// ErrorsFound is returned when the configuration was read but some findings
// are errors; the Config is still returned, as keepalived would run it.
type ErrorsFound struct {
	Errors []Finding
}

func (e *ErrorsFound) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d configuration error(s)", len(e.Errors))
	for i, f := range e.Errors {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		b.WriteString("; ")
		b.WriteString(f.Pos.String() + ": " + f.Message)
	}
	return b.String()
}

// Load reads the keepalived.conf at path and the files it includes.
// It returns an error without a Config only when path cannot be read;
// otherwise the Config and every finding, and *ErrorsFound if any is an Error.
func Load(path string, opts Options) (*Config, []Finding, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("keepalivedconf: %w", err)
	}
	if opts.ConfigID == "" {
		if host, err := os.Hostname(); err == nil {
			opts.ConfigID, _, _ = strings.Cut(host, ".")
		}
	}
	cfg, findings := parse(path, src, opts)
	return cfg, findings, errorsIn(findings)
}

// Parse reads configuration text; name is used in positions, and relative
// include patterns are resolved against its directory.
func Parse(name string, src []byte, opts Options) (*Config, []Finding, error) {
	cfg, findings := parse(name, src, opts)
	return cfg, findings, errorsIn(findings)
}

func parse(name string, src []byte, opts Options) (*Config, []Finding) {
	rep := &reporter{}
	lx := newLexer(rep, opts.ConfigID)
	lx.lexSource(name, src, 0)
	cfg := newParser(rep, lx.out).parse()
	return cfg, rep.findings
}

func errorsIn(findings []Finding) error {
	var errs []Finding
	for _, f := range findings {
		if f.Severity == Error {
			errs = append(errs, f)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &ErrorsFound{Errors: errs}
}
