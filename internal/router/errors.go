package router

import "fmt"

// MySQL error numbers and SQLSTATEs the router reports; the proxy sends them
// to the client unchanged.
const (
	CodeParseError   = 1064 // ER_PARSE_ERROR
	CodeNoSuchTable  = 1146 // ER_NO_SUCH_TABLE
	CodeBadDB        = 1049 // ER_BAD_DB_ERROR
	CodeNoDB         = 1046 // ER_NO_DB_ERROR
	CodeUnsupported  = 1235 // ER_NOT_SUPPORTED_YET
	CodeUnknownError = 1105 // ER_UNKNOWN_ERROR
)

// Error is a routing failure with the MySQL error code and SQLSTATE the
// client should receive.
type Error struct {
	Code  uint16
	State string
	Msg   string
}

func (e *Error) Error() string { return e.Msg }

func parseErrorf(format string, args ...any) *Error {
	return &Error{Code: CodeParseError, State: "42000", Msg: fmt.Sprintf(format, args...)}
}

func unsupportedf(format string, args ...any) *Error {
	return &Error{Code: CodeUnsupported, State: "42000", Msg: fmt.Sprintf(format, args...)}
}

func noTablef(format string, args ...any) *Error {
	return &Error{Code: CodeNoSuchTable, State: "42S02", Msg: fmt.Sprintf(format, args...)}
}

func badDBf(format string, args ...any) *Error {
	return &Error{Code: CodeBadDB, State: "42000", Msg: fmt.Sprintf(format, args...)}
}

func noDBf(format string, args ...any) *Error {
	return &Error{Code: CodeNoDB, State: "3D000", Msg: fmt.Sprintf(format, args...)}
}

func otherf(format string, args ...any) *Error {
	return &Error{Code: CodeUnknownError, State: "HY000", Msg: fmt.Sprintf(format, args...)}
}
