package mycatconf

import "github.com/shardcat/shardcat/internal/shard"

func init() { defaultNewFunction = shard.New }
