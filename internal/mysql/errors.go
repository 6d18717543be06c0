package mysql

import (
	"errors"
	"fmt"
)

// Error codes with their SQLSTATE (see SQLError.State). The names follow
// MySQL's ER_* constants.
const (
	ERConCount                      uint16 = 1040
	ERHandshake                     uint16 = 1043
	ERDBAccessDenied                uint16 = 1044
	ERAccessDenied                  uint16 = 1045
	ERNoDB                          uint16 = 1046
	ERUnknownCom                    uint16 = 1047
	ERBadNullError                  uint16 = 1048
	ERBadDB                         uint16 = 1049
	ERTableExists                   uint16 = 1050
	ERBadTable                      uint16 = 1051
	ERNonUniq                       uint16 = 1052
	ERServerShutdown                uint16 = 1053
	ERBadField                      uint16 = 1054
	ERDupEntry                      uint16 = 1062
	ERParse                         uint16 = 1064
	EREmptyQuery                    uint16 = 1065
	ERNoSuchTable                   uint16 = 1146
	ERNetPacketTooLarge             uint16 = 1153
	ERNetReadError                  uint16 = 1158
	ERNetErrorOnWrite               uint16 = 1160
	ERUnknownError                  uint16 = 1105
	ERUnknownSystemVar              uint16 = 1193
	ERLockWaitTimeout               uint16 = 1205
	ERQueryInterrupted              uint16 = 1317
	ERNotSupportedYet               uint16 = 1235
	ERUnknownStmtHandler            uint16 = 1243
	ERWrongArguments                uint16 = 1210
	ERSpecifiedAccessDenied         uint16 = 1227
	ERCantDoThisDuringAnTransaction uint16 = 1179
	ERLockDeadlock                  uint16 = 1213
	EROptionPreventsStatement       uint16 = 1290
	ERMalformedPacket               uint16 = 1835
)

// SQLSTATE values.
const (
	SSAccessDenied                  = "28000"
	SSSyntaxOrAccess                = "42000"
	SSNetError                      = "08S01"
	SSConCount                      = "08004"
	SSUnknown                       = "HY000"
	SSBadField                      = "42S22"
	SSNoSuchTable                   = "42S02"
	SSDupKey                        = "23000"
	SSClientError                   = "HY000"
	SSNoDB                          = "3D000"
	SSQueryInterrupted              = "70100"
	SSLockDeadlock                  = "40001"
	SSCantDoThisDuringAnTransaction = "25000"
)

// defaultState gives the SQLSTATE MySQL uses for a code when the caller does
// not name one.
var defaultState = map[uint16]string{
	ERConCount:                      SSConCount,
	ERHandshake:                     SSNetError,
	ERDBAccessDenied:                SSSyntaxOrAccess,
	ERAccessDenied:                  SSAccessDenied,
	ERNoDB:                          SSNoDB,
	ERUnknownCom:                    SSNetError,
	ERBadNullError:                  SSDupKey,
	ERBadDB:                         SSSyntaxOrAccess,
	ERTableExists:                   "42S01",
	ERBadTable:                      "42S02",
	ERNonUniq:                       SSDupKey,
	ERServerShutdown:                SSNetError,
	ERBadField:                      SSBadField,
	ERDupEntry:                      SSDupKey,
	ERParse:                         SSSyntaxOrAccess,
	EREmptyQuery:                    SSSyntaxOrAccess,
	ERNoSuchTable:                   SSNoSuchTable,
	ERNetPacketTooLarge:             SSNetError,
	ERNetReadError:                  SSNetError,
	ERNetErrorOnWrite:               SSNetError,
	ERUnknownError:                  SSUnknown,
	ERUnknownSystemVar:              SSUnknown,
	ERLockWaitTimeout:               SSUnknown,
	ERQueryInterrupted:              SSQueryInterrupted,
	ERNotSupportedYet:               SSSyntaxOrAccess,
	ERUnknownStmtHandler:            SSUnknown,
	ERWrongArguments:                SSUnknown,
	ERSpecifiedAccessDenied:         SSSyntaxOrAccess,
	ERCantDoThisDuringAnTransaction: SSCantDoThisDuringAnTransaction,
	ERLockDeadlock:                  SSLockDeadlock,
	EROptionPreventsStatement:       SSUnknown,
	ERMalformedPacket:               SSUnknown,
}

// SQLError is an error a MySQL server reports in an ERR packet. The server
// side writes it as is; the client side returns it for a backend's ERR packet.
type SQLError struct {
	Code    uint16
	State   string // five-character SQLSTATE
	Message string
}

func (e *SQLError) Error() string {
	return fmt.Sprintf("ERROR %d (%s): %s", e.Code, e.State, e.Message)
}

// NewSQLError builds an SQLError with the code's usual SQLSTATE (HY000 when
// the code is unknown here). format and args are as in fmt.Sprintf.
func NewSQLError(code uint16, format string, args ...any) *SQLError {
	state, ok := defaultState[code]
	if !ok {
		state = SSUnknown
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &SQLError{Code: code, State: state, Message: msg}
}

// ToSQLError converts any error into the SQLError sent to a client: an
// *SQLError anywhere in the chain is kept, anything else becomes
// ER_UNKNOWN_ERROR with the error's text.
func ToSQLError(err error) *SQLError {
	var se *SQLError
	if errors.As(err, &se) {
		return se
	}
	return NewSQLError(ERUnknownError, "%s", err.Error())
}

// ErrMalformedPacket is wrapped by every decoding error caused by bytes that
// do not follow the protocol.
var ErrMalformedPacket = errors.New("malformed packet")

func malformed(what string) error {
	return fmt.Errorf("%w: %s", ErrMalformedPacket, what)
}
