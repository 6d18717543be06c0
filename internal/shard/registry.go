package shard

import (
	"fmt"
	"sort"
	"strings"
)

const mycatFunctionPackage = "io.mycat.route.function."

type constructor func(p *props, env Env) (Function, error)

var constructors = map[string]constructor{
	"PartitionByMod":                newPartitionByMod,
	"PartitionByLong":               newPartitionByLong,
	"PartitionByFileMap":            newPartitionByFileMap,
	"AutoPartitionByLong":           newAutoPartitionByLong,
	"PartitionByMurmurHash":         newPartitionByMurmurHash,
	"PartitionByJumpConsistentHash": newPartitionByJumpConsistentHash,
	"PartitionByMonth":              newPartitionByMonth,
	"PartitionByMonthAndHistory":    newPartitionByMonthAndHistory,
	"PartitionByDate":               newPartitionByDate,
	"PartitionByString":             newPartitionByString,
	"PartitionByHashMod":            newPartitionByHashMod,
	"PartitionByHotDate":            newPartitionByHotDate,
	"PartitionByRangeMod":           newPartitionByRangeMod,
	"PartitionByPattern":            newPartitionByPattern,
	"PartitionByPrefixPattern":      newPartitionByPrefixPattern,
	"PartitionDirectBySubString":    newPartitionDirectBySubString,
	"PartitionByCRC32PreSlot":       newPartitionByCRC32PreSlot,
	"LatestMonthPartion":            newLatestMonthPartion,
	"PartitionByRangeDateHash":      newPartitionByRangeDateHash,
}

// New builds the function of a rule.xml <function> element. class may carry the
// io.mycat.route.function. package prefix or not. props are the <property> values
// as written. An unknown class is an error that names it; a missing or bad
// property is an error naming the property and what was expected.
//
// Property values are trimmed of surrounding whitespace, and a property the
// class does not have is an error (Mycat would ignore a misspelt one and
// silently use the default).
func New(class string, props map[string]string, env Env) (Function, error) {
	short := strings.TrimPrefix(class, mycatFunctionPackage)
	build, ok := constructors[short]
	if !ok {
		return nil, fmt.Errorf("unknown partition function class %q (supported: %s)", class, strings.Join(Classes(), ", "))
	}
	p := newProps(short, props)
	fn, err := build(p, env)
	if err != nil {
		return nil, err
	}
	if err := p.unknown(); err != nil {
		return nil, err
	}
	return fn, nil
}

// Classes lists the supported short class names (for --check and docs).
func Classes() []string {
	names := make([]string, 0, len(constructors))
	for name := range constructors {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
