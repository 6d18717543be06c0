package keepalivedconf

import "fmt"

// Pos is where something was written: the file as named to Load/Parse (or
// the included file's path) and its 1-based line.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Severity tells whether keepalived would still run with the configuration.
type Severity int

const (
	// Warning: keepalived logs the line and ignores it (unknown keyword,
	// misplaced block, stray brace); the rest of the file still applies.
	Warning Severity = iota
	// Error: a value is wrong (bad number, address, range) or a required
	// setting is missing; the setting or object is dropped.
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Finding is one message about the configuration, like a line of
// `keepalived -t` output.
type Finding struct {
	Pos      Pos
	Severity Severity
	Message  string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s", f.Pos, f.Severity, f.Message)
}

// HasErrors reports whether any finding is an Error.
func HasErrors(findings []Finding) bool {
	for _, f := range findings {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// reporter collects findings in the order they are found.
type reporter struct {
	findings []Finding
}

func (r *reporter) warnf(pos Pos, format string, args ...any) {
	r.findings = append(r.findings, Finding{pos, Warning, fmt.Sprintf(format, args...)})
}

func (r *reporter) errorf(pos Pos, format string, args ...any) {
	r.findings = append(r.findings, Finding{pos, Error, fmt.Sprintf(format, args...)})
}
