package mycatconf

import (
	"errors"
	"strings"

	"github.com/shardcat/shardcat/internal/shard"
)

// loadRules reads rule.xml as XMLRuleLoader does: functions first, then the
// tableRules that name them. Functions are only constructed later, for the
// rules some table uses (buildFunctions).
func (l *loader) loadRules(root *element) {
	for _, e := range root.Children {
		switch e.Name {
		case "function":
			l.loadFunction(e)
		case "tableRule":
		default:
			l.warnf(RuleFile, e.Line, "<%s> is not a rule.xml element; ignored (expected <tableRule> or <function>)", e.Name)
		}
	}
	for _, e := range root.children("tableRule") {
		l.loadTableRule(e)
	}
}

func (l *loader) loadFunction(e *element) {
	l.warnUnknownAttrs(RuleFile, e)
	name := strings.TrimSpace(e.get("name"))
	class := strings.TrimSpace(e.get("class"))
	if name == "" {
		l.errorf(RuleFile, e.Line, "<function>: attribute name is missing or empty")
		return
	}
	if prev, dup := l.cfg.Functions[name]; dup {
		l.errorf(RuleFile, e.Line, "<function name=%q>: rule function %s duplicated (first at line %d)", name, name, prev.Pos.Line)
		return
	}
	if class == "" {
		l.errorf(RuleFile, e.Line, "<function name=%q>: attribute class is missing or empty (expected e.g. io.mycat.route.function.PartitionByMod)", name)
		return
	}
	props := map[string]string{}
	for _, p := range e.Children {
		if p.Name != "property" {
			l.warnf(RuleFile, p.Line, "<function name=%q>: <%s> ignored (expected <property name=...>)", name, p.Name)
			continue
		}
		pn, ok := p.attr("name")
		if !ok || pn == "" {
			l.errorf(RuleFile, p.Line, "<function name=%q>: <property> without a name attribute", name)
			continue
		}
		props[pn] = strings.TrimSpace(p.textContent())
	}
	l.cfg.Functions[name] = &Function{
		Name:      name,
		Class:     shortClass(class),
		FullClass: class,
		Props:     props,
		Pos:       Pos{RuleFile, e.Line},
	}
}

func (l *loader) loadTableRule(e *element) {
	l.warnUnknownAttrs(RuleFile, e)
	name := strings.TrimSpace(e.get("name"))
	if name == "" {
		l.errorf(RuleFile, e.Line, "<tableRule>: attribute name is missing or empty")
		return
	}
	if prev, dup := l.cfg.Rules[name]; dup {
		l.errorf(RuleFile, e.Line, "<tableRule name=%q>: table rule %s duplicated (first at line %d)", name, name, prev.Pos.Line)
		return
	}
	rules := e.children("rule")
	if len(rules) != 1 {
		l.errorf(RuleFile, e.Line, "<tableRule name=%q>: has %d <rule> elements, expected exactly one", name, len(rules))
		return
	}
	r := rules[0]
	columns := r.children("columns")
	algorithms := r.children("algorithm")
	if len(columns) != 1 || len(algorithms) != 1 {
		l.errorf(RuleFile, r.Line, "<tableRule name=%q>: <rule> needs exactly one <columns> and one <algorithm>", name)
		return
	}
	column := strings.TrimSpace(columns[0].textContent())
	if column == "" {
		l.errorf(RuleFile, columns[0].Line, "<tableRule name=%q>: <columns> is empty (expected the shard column name)", name)
		return
	}
	if cols := splitTrim(column); len(cols) > 1 {
		l.errorf(RuleFile, columns[0].Line, "<tableRule name=%q>: table rule columns has multi values: %s (Mycat shards on one column)", name, column)
		return
	}
	algorithm := strings.TrimSpace(algorithms[0].textContent())
	fn, ok := l.cfg.Functions[algorithm]
	if !ok {
		l.errorf(RuleFile, algorithms[0].Line, "<tableRule name=%q>: can't find function of name %q (no <function name=%q>)", name, algorithm, algorithm)
		return
	}
	l.cfg.Rules[name] = &TableRule{
		Name:     name,
		Column:   strings.ToUpper(column),
		Function: fn,
		Pos:      Pos{RuleFile, e.Line},
	}
}

// tableRuleAware are the classes Mycat instantiates once per table
// (TableRuleAware): the rule is copied and renamed RULE_TABLE, which also
// names the function's persisted state file.
var tableRuleAware = map[string]bool{"PartitionByCRC32PreSlot": true}

// ruleForTable returns the rule a table uses: the shared one, or a per-table
// copy for TableRuleAware functions.
func (l *loader) ruleForTable(rule *TableRule, table string, dataNodes int) *TableRule {
	if rule.Function == nil || !tableRuleAware[rule.Function.Class] {
		l.markUsed(rule)
		return rule
	}
	fn := *rule.Function
	fn.Impl = nil
	cp := &TableRule{
		Name:     rule.Name + "_" + table,
		Column:   rule.Column,
		Function: &fn,
		Pos:      rule.Pos,
		Base:     rule,
	}
	if _, exists := l.cfg.Rules[cp.Name]; !exists {
		l.cfg.Rules[cp.Name] = cp
	}
	l.markUsed(cp)
	if l.perTableNodes == nil {
		l.perTableNodes = map[*TableRule]int{}
	}
	l.perTableNodes[cp] = dataNodes
	return cp
}

func (l *loader) markUsed(rule *TableRule) {
	for _, r := range l.usedRules {
		if r == rule {
			return
		}
	}
	l.usedRules = append(l.usedRules, rule)
}

// buildFunctions constructs the partition function of every used rule and
// then checks each sharded table against its function's partition count.
func (l *loader) buildFunctions() {
	built := map[*Function]bool{}
	for _, rule := range l.usedRules {
		fn := rule.Function
		if built[fn] {
			continue
		}
		built[fn] = true
		env := shard.Env{
			ReadFile: l.readConfFile,
			RuleName: rule.Name,
			// Only a per-table instance knows its table's size; a shared
			// function gets 0, "unknown".
			DataNodes: l.perTableNodes[rule],
			Location:  l.opts.Location,
		}
		if !l.opts.ReadOnly {
			env.WriteFile = l.writeConfFile
		}
		props := make(map[string]string, len(fn.Props))
		for k, v := range fn.Props {
			props[k] = v
		}
		impl, err := l.newFunction(fn, props, env)
		if err != nil {
			l.errorf(RuleFile, fn.Pos.Line, "<function name=%q class=%q> (used by tableRule %s): %v", fn.Name, fn.FullClass, rule.Name, err)
			continue
		}
		if impl == nil {
			l.errorf(RuleFile, fn.Pos.Line, "<function name=%q class=%q>: no function was built", fn.Name, fn.FullClass)
			continue
		}
		fn.Impl = impl
	}
	usedNames := map[string]bool{}
	for fn := range built {
		usedNames[fn.Name] = true // per-table copies keep their function's name
	}
	for _, name := range sortedKeys(l.cfg.Functions) {
		if f := l.cfg.Functions[name]; !usedNames[name] {
			l.warnf(RuleFile, f.Pos.Line, "<function name=%q> is not used by any table; not checked", f.Name)
		}
	}
	l.checkPartitionCounts()
}

// newFunction calls the factory, turning a panic in a function's
// constructor into an error: bad map files must never take the loader down.
func (l *loader) newFunction(fn *Function, props map[string]string, env shard.Env) (impl shard.Function, err error) {
	defer func() {
		if r := recover(); r != nil {
			impl, err = nil, panicError{r}
		}
	}()
	if l.opts.NewFunction == nil {
		return nil, errors.New("no partition function registry is linked in")
	}
	return l.opts.NewFunction(fn.FullClass, props, env)
}

type panicError struct{ v any }

func (p panicError) Error() string { return "partition function panicked: " + toString(p.v) }

func toString(v any) string {
	switch x := v.(type) {
	case error:
		return x.Error()
	case string:
		return x
	}
	return "unknown panic"
}
