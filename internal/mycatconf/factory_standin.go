package mycatconf

// defaultNewFunction is the partition function registry Load uses. It is
// wired to shard.New (see factory.go) once internal/shard exports it; until
// then Load reports every used function as an error and callers pass
// Options.NewFunction.
var defaultNewFunction FunctionFactory
