module github.com/shardcat/shardcat

go 1.26.8
