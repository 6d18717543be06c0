package keepalivedconf

import (
	"strings"
)

// block is the set of keywords valid inside one { } block.
type block struct {
	name     string // for messages, e.g. "vrrp_instance VI_1"
	top      bool   // the file level, which no '}' closes
	keywords map[string]keyword
	close    func() // runs when the block's '}' is read (or the input ends)
}

// keyword handles one keyword of a block. Exactly one field is set.
type keyword struct {
	line  func(s stmt)                 // a one-line setting
	sub   func(s stmt) *block          // opens a block of keywords; nil = skip the block
	value func(s stmt) func(line stmt) // opens a block of plain lines, each fed to the result
	// valueArgs is how many words a value block's keyword line takes (its name).
	valueArgs int
	// ignored is a keepalived keyword shardcat does not implement; it is
	// reported and its block, if any, skipped.
	ignored bool
}

// parser walks the statements as keepalived's process_stream does: a '}'
// closes the innermost open block whatever opened it, and unknown keywords
// never open one, so a stray brace shifts everything after it.
type parser struct {
	rep   *reporter
	stmts []stmt
	next  int
	cfg   *Config

	// Settings whose default depends on others or on global_defs, resolved
	// by finish() once the whole file is read.
	instanceGARP   map[*VRRPInstance]*GARPSettings // -1 = not set here
	instanceSet    map[*VRRPInstance]map[string]bool
	globalSet      map[string]bool
	checkDefaults  map[any]*checkDefaults // per *VirtualServer, *RealServer, *Checker
	scriptTimeouts map[*VRRPScript]bool   // timeout written explicitly

	// hintedEarlyClose avoids repeating the "closed too early" hint for
	// every line of one run of misplaced keywords.
	hintedEarlyClose bool
}

func newParser(rep *reporter, stmts []stmt) *parser {
	return &parser{
		rep:            rep,
		stmts:          stmts,
		cfg:            newConfig(),
		instanceGARP:   map[*VRRPInstance]*GARPSettings{},
		instanceSet:    map[*VRRPInstance]map[string]bool{},
		globalSet:      map[string]bool{},
		checkDefaults:  map[any]*checkDefaults{},
		scriptTimeouts: map[*VRRPScript]bool{},
	}
}

func (p *parser) more() bool { return p.next < len(p.stmts) }

func (p *parser) take() stmt {
	s := p.stmts[p.next]
	p.next++
	return s
}

// lastPos is where the statement read last is: in a close handler, the
// block's '}', where keepalived reports what the block lacks.
func (p *parser) lastPos() Pos {
	if p.next == 0 {
		return Pos{}
	}
	return p.stmts[p.next-1].pos
}

func (p *parser) parse() *Config {
	p.process(p.topLevel(), Pos{})
	p.finish()
	return p.cfg
}

// process reads statements into b until its closing '}'; openedAt is the
// line of the keyword that opened it.
func (p *parser) process(b *block, openedAt Pos) {
	top := b.top
	for p.more() {
		s := p.take()
		if s.is("{") {
			if top {
				p.rep.warnf(s.pos, "unexpected '{' at top level: ignored")
			} else {
				p.rep.warnf(s.pos, "unexpected '{' in %s: ignored, so the '}' that was meant to match it will close %s", b.name, b.name)
			}
			continue
		}
		if s.is("}") {
			if top {
				p.rep.warnf(s.pos, "unexpected '}' at top level (no block is open): ignored")
				continue
			}
			if b.close != nil {
				b.close()
			}
			return
		}
		k, ok := b.keywords[s.keyword()]
		if ok && top {
			p.hintedEarlyClose = false
		}
		switch {
		case !ok:
			p.unknownKeyword(b, top, s)
		case k.ignored:
			p.rep.warnf(s.pos, "%q is not supported by shardcat: ignored", s.keyword())
			p.skipBlock()
		case k.line != nil:
			k.line(s)
		case k.sub != nil:
			sub := k.sub(s)
			switch {
			case sub == nil:
				p.skipBlock()
			case !p.more() || !p.stmts[p.next].is("{"):
				// keepalived 2.2 then reads the block as empty: what follows
				// belongs to the enclosing block.
				p.rep.warnf(s.pos, "%s: no '{' follows, so its block is empty and the next lines are read in %s", s.keyword(), b.name)
				if sub.close != nil {
					sub.close()
				}
			default:
				p.next++ // the '{'
				p.process(sub, s.pos)
			}
		case k.value != nil:
			p.valueBlock(s, k.valueArgs, k.value(s))
		}
	}
	if !top {
		p.rep.warnf(openedAt, "%s has no closing '}' before the end of the configuration", b.name)
		if b.close != nil {
			b.close()
		}
	}
}

// valueBlock feeds each line of a { } block of plain values to add, as
// keepalived's read_value_block does.
func (p *parser) valueBlock(head stmt, nargs int, add func(stmt)) {
	if len(head.args()) > nargs {
		p.rep.warnf(head.pos, "%s: extra words %q before its block: ignored", head.keyword(), strings.Join(head.args()[nargs:], " "))
	}
	if p.more() && !p.stmts[p.next].is("{") {
		// keepalived 2.2 then takes the next line alone as the block.
		p.rep.warnf(head.pos, "%s: no '{' follows, so only the next line is read as its value", head.keyword())
		if s := p.take(); !s.is("}") && add != nil {
			add(s)
		}
		return
	}
	if p.more() {
		p.next++ // the '{'
	}
	for p.more() {
		s := p.take()
		if s.is("}") {
			return
		}
		if add != nil {
			add(s)
		}
	}
	p.rep.warnf(head.pos, "%s has no closing '}' before the end of the configuration", head.keyword())
}

// skipBlock skips a whole { } block if one follows (an object that is
// dropped because of an error, or an unsupported keyword).
func (p *parser) skipBlock() {
	if !p.more() || !p.stmts[p.next].is("{") {
		return
	}
	depth := 0
	for p.more() {
		s := p.take()
		switch {
		case s.is("{"):
			depth++
		case s.is("}"):
			depth--
			if depth == 0 {
				return
			}
		}
	}
}

// belongsIn names where commonly misplaced keywords are valid, for hints.
var belongsIn = map[string]string{
	"real_server": "virtual_server", "delay_loop": "virtual_server", "lb_algo": "virtual_server",
	"lvs_sched": "virtual_server", "lb_kind": "virtual_server", "lvs_method": "virtual_server or real_server",
	"persistence_timeout": "virtual_server", "protocol": "virtual_server", "sorry_server": "virtual_server",
	"TCP_CHECK": "real_server", "HTTP_GET": "real_server", "SSL_GET": "real_server",
	"MISC_CHECK": "real_server", "MYSQL_CHECK": "real_server", "weight": "real_server or vrrp_script",
	"connect_timeout": "a checker", "connect_port": "a checker", "nb_get_retry": "HTTP_GET or SSL_GET only; elsewhere write `retry N`",
	"retry": "a checker", "delay_before_retry": "a checker", "connect_ip": "a checker",
	"state": "vrrp_instance", "interface": "vrrp_instance", "virtual_router_id": "vrrp_instance",
	"priority": "vrrp_instance", "advert_int": "vrrp_instance", "authentication": "vrrp_instance",
	"virtual_ipaddress": "vrrp_instance", "unicast_peer": "vrrp_instance", "track_script": "vrrp_instance",
	"auth_type": "authentication", "auth_pass": "authentication",
	"router_id": "global_defs", "notification_email": "global_defs", "smtp_server": "global_defs",
	"notification_email_from": "global_defs", "smtp_connect_timeout": "global_defs",
	"script": "vrrp_script", "group": "vrrp_sync_group",
}

func (p *parser) unknownKeyword(b *block, top bool, s stmt) {
	kw := s.keyword()
	where := "in " + b.name
	if top {
		where = "at top level"
	}
	var hint string
	switch {
	case strings.HasPrefix(kw, "//") || strings.HasPrefix(kw, "/*"):
		hint = " ('" + kw[:2] + "' does not start a comment in keepalived.conf; use '#' or '!')"
	case kw == "MASTER" || kw == "BACKUP":
		hint = ` (did you mean "state ` + kw + `"? a "state" at the end of a comment on the line above is commented out)`
	case kw == "nb_get_retry" && !top:
		hint = " (keepalived accepts nb_get_retry only in HTTP_GET and SSL_GET; write `retry N`)"
	case belongsIn[kw] != "":
		hint = " (it belongs in " + belongsIn[kw] + ")"
		if top && !p.hintedEarlyClose {
			hint = " (it belongs in " + belongsIn[kw] + "; did a '}' above close that block too early?)"
			p.hintedEarlyClose = true
		}
	}
	p.rep.warnf(s.pos, "unknown keyword %q %s: ignored%s", kw, where, hint)
}

func newConfig() *Config {
	return &Config{Global: defaultGlobalDefs()}
}
