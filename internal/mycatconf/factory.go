package mycatconf

import "github.com/shardcat/shardcat/internal/shard"

// defaultNewFunction is the real partition function registry.
var defaultNewFunction FunctionFactory = shard.New
