// Package mysql speaks the MySQL client/server protocol on both ends. It
// knows nothing about sharding.
//
// Server side: a Server accepts clients (handshake v10, TLS, native and
// caching_sha2 passwords, auth switch) and hands each command to a Handler.
// The handler answers through the *Conn it gets: WriteOK, WriteError,
// WriteResult (or WriteColumns/WriteRow/WriteResultSetEnd to stream), and
// ForwardResult to copy a backend's result packet by packet. The Conn picks
// the row format (text, or binary inside COM_STMT_EXECUTE) and the result
// terminator (EOF or OK under CLIENT_DEPRECATE_EOF) for the handler.
//
// Client side: Dial returns a *ClientConn to a MySQL/MariaDB backend with
// decoded helpers (Execute, Prepare, StmtExecute, Ping, ...) and raw ones
// (WriteCommand, ReadResultHeader, ReadRow) for pass-through.
//
// Rows are carried in one form everywhere, Row ([][]byte in text form, nil
// for NULL); binary rows are converted to and from it with the column types.
package mysql
