package keepalivedconf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// stmt is one logical line once comments, @conditionals, $parameters,
// ~SEQ generators and includes are resolved: either a lone "{" or "}", or a
// keyword with its arguments. keepalived splits every line at its braces, so
// "}vrrp_instance VI_1 {" is three statements: "}", "vrrp_instance VI_1", "{".
type stmt struct {
	pos   Pos
	words []string
}

func (s stmt) is(word string) bool { return len(s.words) == 1 && s.words[0] == word }

func (s stmt) keyword() string { return s.words[0] }

// args are the words after the keyword.
func (s stmt) args() []string { return s.words[1:] }

// Limits that keep hostile or broken input (include loops, self-referencing
// parameters, huge sequences) from running away; real configurations stay far below.
const (
	maxIncludeDepth     = 32
	maxExpansionDepth   = 32
	maxExpandedLines    = 100000
	maxSubstitutions    = 1000     // in one line
	maxSubstitutedLine  = 4096     // bytes of one line after substitution (keepalived: 1024)
	maxSubstitutedBytes = 16 << 20 // bytes produced by substitution in the whole configuration
	maxLineLength       = 64 << 10
)

// definition is a $NAME parameter; a multi-line one (its definition line ends
// in '\') has several lines and is only expanded when it stands alone on a line.
type definition struct {
	lines     []string
	multiline bool
}

type lexer struct {
	rep      *reporter
	configID string
	defs     map[string]*definition
	// pending is a multi-line definition whose continuation lines are still coming.
	pending *definition
	// noIncludes turns include lines into errors (the fuzz test must not
	// read arbitrary files).
	noIncludes bool
	out        []stmt
	expanded   int
	// maxLines bounds expanded (maxExpandedLines; lower in the fuzz test).
	maxLines         int
	substitutedBytes int
}

func newLexer(rep *reporter, configID string) *lexer {
	lx := &lexer{rep: rep, configID: configID, defs: map[string]*definition{}, maxLines: maxExpandedLines}
	lx.defs["_INSTANCE"] = &definition{lines: []string{configID}}
	// For a literal comment character in a value.
	lx.defs["_HASH"] = &definition{lines: []string{"#"}}
	lx.defs["_BANG"] = &definition{lines: []string{"!"}}
	return lx
}

// readFile lexes one file found on disk (the top file or an include).
func (lx *lexer) readFile(path string, from Pos, depth int) {
	src, err := os.ReadFile(path)
	if err != nil {
		lx.rep.errorf(from, "cannot read configuration file: %v", unwrapPathError(err))
		return
	}
	lx.lexSource(path, src, depth)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return errors.New(pe.Path + ": " + pe.Err.Error())
	}
	return err
}

// lexSource lexes one file's text; relative includes resolve against its directory.
func (lx *lexer) lexSource(name string, src []byte, depth int) {
	dir := filepath.Dir(name)
	lx.defs["_PWD"] = &definition{lines: []string{dir}}
	lines := strings.Split(string(src), "\n")
	for i, raw := range lines {
		pos := Pos{File: name, Line: i + 1}
		if len(raw) > maxLineLength {
			lx.rep.errorf(pos, "line longer than %d bytes: ignored", maxLineLength)
			continue
		}
		text, cont := lx.decomment(pos, strings.TrimRight(raw, "\r"))
		if lx.pending != nil {
			lx.continueDefinition(text, cont)
			continue
		}
		if cont {
			// Only parameter definitions continue on the next line; keepalived
			// leaves the backslash on any other line.
			if strings.HasPrefix(text, "$") && lx.define(pos, text, true) {
				continue
			}
			text += `\`
		}
		if text == "" {
			continue
		}
		lx.logicalLine(pos, dir, text, depth, 0)
	}
	// A file ends any multi-line definition it started.
	lx.pending = nil
}

// decomment removes a '#' or '!' comment (outside double quotes, unless
// escaped with '\') and the surrounding blanks. cont reports a trailing '\'
// (removed from text), which continues a multi-line parameter definition.
func (lx *lexer) decomment(pos Pos, line string) (text string, cont bool) {
	var b strings.Builder
	inQuote := false
	s := strings.TrimLeft(line, " \t")
scan:
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '\\':
			if i+1 == len(s) {
				cont = true
				break scan
			}
			if !inQuote && (s[i+1] == '#' || s[i+1] == '!') {
				b.WriteByte(s[i+1]) // "\#" is a literal '#'
			} else {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case !inQuote && (c == '#' || c == '!'):
			break scan
		default:
			b.WriteByte(c)
		}
	}
	if inQuote {
		lx.rep.errorf(pos, "unterminated quote (a '\"' has no closing '\"')")
	}
	return strings.TrimRight(b.String(), " \t\f\v"), cont
}

func (lx *lexer) continueDefinition(text string, cont bool) {
	def := lx.pending
	if text != "" {
		def.lines = append(def.lines, text)
	}
	if !cont || text == "" {
		lx.pending = nil
	}
}

// logicalLine handles one decommented, non-empty line: conditionals,
// definitions, sequences, substitution, includes, then brace splitting.
func (lx *lexer) logicalLine(pos Pos, dir, text string, includeDepth, depth int) {
	if depth > maxExpansionDepth {
		lx.rep.errorf(pos, "parameter or ~SEQ expansion nested more than %d deep: line ignored", maxExpansionDepth)
		return
	}
	lx.expanded++
	if lx.expanded > lx.maxLines {
		if lx.expanded == lx.maxLines+1 {
			lx.rep.errorf(pos, "configuration expands to more than %d lines: rest ignored", lx.maxLines)
		}
		return
	}
	for round := 0; ; round++ {
		if text == "" {
			return
		}
		if text[0] == '@' {
			var keep bool
			if text, keep = lx.conditional(text); !keep {
				return
			}
			continue
		}
		if text[0] == '$' && lx.define(pos, text, false) {
			return
		}
		if strings.HasPrefix(text, "~SEQ") {
			lx.sequence(pos, dir, text, includeDepth, depth)
			return
		}
		if strings.HasPrefix(text, "~LST") {
			lx.rep.errorf(pos, "~LST generators are not supported: line ignored")
			return
		}
		if round < maxExpansionDepth && strings.Contains(text, "$") {
			if def := lx.wholeLineMultiline(text); def != nil {
				for _, l := range def.lines {
					lx.logicalLine(pos, dir, l, includeDepth, depth+1)
				}
				return
			}
			if replaced, changed := lx.substitute(pos, text); changed {
				text = replaced
				continue
			}
		}
		break
	}
	if words := lx.words(pos, text); len(words) == 2 && words[0] == "include" {
		lx.include(pos, dir, words[1], includeDepth)
		return
	}
	lx.splitBraces(pos, text)
}

// conditional strips "@ID " or "@^ID " and reports whether the line applies
// to this config id. A conditional with nothing after the id is dropped.
func (lx *lexer) conditional(text string) (rest string, keep bool) {
	negate := strings.HasPrefix(text, "@^")
	id := text[1:]
	if negate {
		id = text[2:]
	}
	sp := strings.IndexAny(id, " \t")
	if sp < 0 {
		return "", false
	}
	id, rest = id[:sp], strings.TrimLeft(id[sp:], " \t")
	matches := lx.configID != "" && id == lx.configID
	return rest, matches != negate
}

// define records "$NAME=value". It reports false
// when the line is not a definition, so that it is processed as text.
func (lx *lexer) define(pos Pos, text string, cont bool) bool {
	i := 1
	if i >= len(text) || !(isAlpha(text[i]) || text[i] == '_') {
		return false
	}
	for i < len(text) && (isAlnum(text[i]) || text[i] == '_') {
		i++
	}
	name := text[1:i]
	// As keepalived: "=" must follow the name directly; "$X = 1" is not a
	// definition (and is read as the unknown keyword "$X").
	rest, ok := strings.CutPrefix(text[i:], "=")
	if !ok {
		return false
	}
	value := strings.TrimLeft(rest, " \t")
	def := &definition{}
	if cont {
		def.multiline = true
		value = strings.TrimRight(value, " \t")
		lx.pending = def
	}
	if value != "" || !cont {
		def.lines = append(def.lines, value)
	}
	lx.defs[name] = def
	return true
}

// wholeLineMultiline returns the multi-line definition used alone on the
// line as "$NAME" or "${NAME}", or nil.
func (lx *lexer) wholeLineMultiline(text string) *definition {
	name, ok := strings.CutPrefix(text, "$")
	if !ok {
		return nil
	}
	if inner, ok := strings.CutPrefix(name, "{"); ok {
		name, ok = strings.CutSuffix(inner, "}")
		if !ok {
			return nil
		}
	}
	if def := lx.defs[name]; def != nil && def.multiline {
		return def
	}
	return nil
}

// substitute replaces every "$NAME" (followed by a blank, ',', ')' or the end
// of the line) and "${NAME}" whose NAME is defined. The replacement is scanned
// again, so definitions may use other definitions.
func (lx *lexer) substitute(pos Pos, text string) (string, bool) {
	changed := false
	count := 0
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '$')
		if j < 0 {
			break
		}
		i += j
		name, usedLen := paramAt(text[i+1:])
		def := lx.defs[name]
		if name == "" || def == nil || def.multiline {
			i++
			continue
		}
		count++
		if lx.substitutedBytes > maxSubstitutedBytes {
			return text, changed // reported once, when the budget ran out
		}
		lx.substitutedBytes += len(text)
		if lx.substitutedBytes > maxSubstitutedBytes {
			lx.rep.errorf(pos, "parameter substitution produces more than %d bytes in all: the rest are not made", maxSubstitutedBytes)
			return text, changed
		}
		if count > maxSubstitutions || len(text) > maxSubstitutedLine {
			lx.rep.errorf(pos, "parameter $%s expands without end (does it refer to itself?): line ignored", name)
			return "", true
		}
		text = text[:i] + def.lines[0] + text[i+1+usedLen:]
		changed = true
		// Do not advance i: the replacement may itself hold parameters.
	}
	return text, changed
}

// paramAt parses the parameter name after a '$', returning it and how many
// bytes "NAME" or "{NAME}" take; name is "" if there is none.
func paramAt(s string) (name string, n int) {
	braced := strings.HasPrefix(s, "{")
	start := 0
	if braced {
		start = 1
	}
	if start >= len(s) || !(isAlpha(s[start]) || s[start] == '_') {
		return "", 0
	}
	end := start + 1
	for end < len(s) && (isAlnum(s[end]) || s[end] == '_') {
		end++
	}
	if braced {
		if end >= len(s) || s[end] != '}' {
			return "", 0
		}
		return s[start:end], end + 1
	}
	if end < len(s) && !strings.ContainsRune(" \t,)", rune(s[end])) {
		return "", 0
	}
	return s[start:end], end
}

// sequence expands "~SEQ(var, [start,] [step,] end) text" (or ~SEQx for
// hexadecimal values): text is processed once per value with $var set.
func (lx *lexer) sequence(pos Pos, dir, text string, includeDepth, depth int) {
	bad := func(why string) {
		lx.rep.errorf(pos, "invalid ~SEQ %q: %s; expected ~SEQ(var, start, step, end) text", text, why)
	}
	spec := text[len("~SEQ"):]
	hex := strings.HasPrefix(spec, "x")
	if hex {
		spec = spec[1:]
	}
	spec = strings.TrimLeft(spec, " \t")
	if !strings.HasPrefix(spec, "(") {
		bad("missing '('")
		return
	}
	closeAt := strings.IndexByte(spec, ')')
	if closeAt < 0 {
		bad("missing ')'")
		return
	}
	argText, _ := lx.substitute(pos, spec[1:closeAt])
	body := strings.TrimLeft(spec[closeAt+1:], " \t")
	parts := strings.Split(argText, ",")
	variable := strings.TrimSpace(parts[0])
	if variable == "" || len(parts) < 2 || len(parts) > 4 {
		bad("need a variable and one to three numbers")
		return
	}
	nums := make([]int64, 0, 3)
	for _, p := range parts[1:] {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 0, 64)
		if err != nil {
			bad("'" + strings.TrimSpace(p) + "' is not an integer")
			return
		}
		nums = append(nums, n)
	}
	var start, step, end int64
	switch len(nums) {
	case 1:
		end = nums[0]
		start, step = 1, 1
		if end < 0 {
			start = -1
		}
		if end < 1 {
			step = -1
		}
	case 2:
		start, end, step = nums[0], nums[1], 1
		if start > end {
			step = -1
		}
	case 3:
		start, step, end = nums[0], nums[1], nums[2]
		if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
			bad("the step does not lead from start to end")
			return
		}
	}
	if hex && (start < 0 || end < 0) {
		bad("~SEQx needs non-negative numbers")
		return
	}
	if span := (end - start) / step; span < 0 || span >= maxExpandedLines {
		bad("too many values")
		return
	}
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		value := strconv.FormatInt(v, 10)
		if hex {
			value = strconv.FormatInt(v, 16)
		}
		lx.defs[variable] = &definition{lines: []string{value}}
		lx.logicalLine(pos, dir, body, includeDepth, depth+1)
		if lx.expanded > lx.maxLines {
			return
		}
	}
}

// include reads every file matching pattern (globs and {a,b} braces),
// relative to the including file's directory: alternatives in the order
// written, the matches of each in sorted order, as glob(3) with GLOB_BRACE.
func (lx *lexer) include(pos Pos, dir, pattern string, depth int) {
	if lx.noIncludes {
		lx.rep.errorf(pos, "include is disabled here: %s ignored", pattern)
		return
	}
	if depth >= maxIncludeDepth {
		lx.rep.errorf(pos, "include nested more than %d deep (does a file include itself?): %s ignored", maxIncludeDepth, pattern)
		return
	}
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(dir, pattern)
	}
	seen := map[string]bool{}
	var files []string
	for _, p := range expandBraces(pattern) {
		matches, err := filepath.Glob(p)
		if err != nil {
			lx.rep.errorf(pos, "include %s: bad pattern: %v", pattern, err)
			return
		}
		for _, m := range matches {
			info, err := os.Stat(m)
			if err == nil && info.IsDir() {
				continue
			}
			if err == nil && !info.Mode().IsRegular() {
				// As keepalived: never read a device, FIFO or socket.
				lx.rep.warnf(pos, "include %s: %s is not a regular file: skipped", pattern, m)
				continue
			}
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	if len(files) == 0 {
		lx.rep.warnf(pos, "include %s: no file matches", pattern)
		return
	}
	for _, f := range files {
		lx.readFile(f, pos, depth+1)
	}
	// Restore the includer's $_PWD.
	lx.defs["_PWD"] = &definition{lines: []string{dir}}
}

// expandBraces expands shell-style "{a,b}" alternatives (nested too), as
// glob(3) with GLOB_BRACE does; Go's filepath.Glob has no braces.
func expandBraces(pattern string) []string {
	open := strings.IndexByte(pattern, '{')
	if open < 0 {
		return []string{pattern}
	}
	depth := 0
	var alts []string
	last := open + 1
	for i := open; i < len(pattern); i++ {
		switch pattern[i] {
		case '{':
			depth++
		case ',':
			if depth == 1 {
				alts = append(alts, pattern[last:i])
				last = i + 1
			}
		case '}':
			depth--
			if depth == 0 {
				alts = append(alts, pattern[last:i])
				var out []string
				for _, a := range alts {
					out = append(out, expandBraces(pattern[:open]+a+pattern[i+1:])...)
				}
				return out
			}
		}
	}
	return []string{pattern} // unbalanced: take it literally
}

// splitBraces emits the line's statements, splitting at '{' and '}' outside quotes.
func (lx *lexer) splitBraces(pos Pos, text string) {
	for text != "" {
		i := braceOutsideQuotes(text)
		if i < 0 {
			lx.emitWords(pos, text)
			return
		}
		if i > 0 {
			lx.emitWords(pos, text[:i])
		}
		lx.out = append(lx.out, stmt{pos: pos, words: []string{text[i : i+1]}})
		text = strings.TrimLeft(text[i+1:], " \t")
	}
}

func braceOutsideQuotes(s string) int {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case '{', '}':
			if !inQuote {
				return i
			}
		}
	}
	return -1
}

func (lx *lexer) emitWords(pos Pos, text string) {
	if words := lx.words(pos, text); len(words) > 0 {
		lx.out = append(lx.out, stmt{pos: pos, words: words})
	}
}

const whiteSpace = " \t\f\n\r\v"

// words splits at blanks; a double-quoted string is one word without its quotes.
func (lx *lexer) words(pos Pos, text string) []string {
	var words []string
	for {
		text = strings.TrimLeft(text, whiteSpace)
		if text == "" {
			return words
		}
		if text[0] == '"' {
			end := strings.IndexByte(text[1:], '"')
			if end < 0 {
				// decomment already reported the unterminated quote.
				return append(words, text[1:])
			}
			words = append(words, text[1:1+end])
			text = text[end+2:]
			continue
		}
		end := strings.IndexAny(text, whiteSpace+`"`)
		if end < 0 {
			return append(words, text)
		}
		words = append(words, text[:end])
		text = text[end:]
	}
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }
