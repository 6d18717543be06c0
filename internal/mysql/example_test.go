package mysql_test

import (
	"net"

	"github.com/shardcat/shardcat/internal/mysql"
)

// proxyHandler sketches what a proxy implements: login against known
// users, then queries relayed to one backend connection per client.
type proxyHandler struct {
	mysql.BaseHandler
	users   map[string]string // user -> plaintext password (Mycat server.xml)
	backend string
}

func (h *proxyHandler) Authenticate(c *mysql.Conn, req *mysql.AuthRequest) error {
	pw, ok := h.users[req.User]
	if !ok || !req.CheckPassword(pw) {
		return mysql.NewSQLError(mysql.ERAccessDenied, "Access denied for user '%s'", req.User)
	}
	b, err := mysql.Dial(c.Context(), h.backend, "app", "secret", req.Database, nil)
	if err != nil {
		return err
	}
	c.Data = b
	return nil
}

func (h *proxyHandler) ComQuery(c *mysql.Conn, query string) error {
	b := c.Data.(*mysql.ClientConn)
	if err := b.WriteCommand(mysql.ComQuery, []byte(query)); err != nil {
		return err
	}
	for { // one ForwardResult per result of a multi-statement
		status, err := c.ForwardResult(b, nil)
		if err != nil || status&mysql.ServerMoreResultsExists == 0 {
			return err
		}
	}
}

func (h *proxyHandler) ConnectionClosed(c *mysql.Conn) {
	if b, ok := c.Data.(*mysql.ClientConn); ok {
		b.Close()
	}
}

func ExampleServer() {
	srv := &mysql.Server{
		Handler:       &proxyHandler{users: map[string]string{"root": "123456"}, backend: "127.0.0.1:3306"},
		ServerVersion: "5.6.29-mycat-1.6-RELEASE",
	}
	l, err := net.Listen("tcp", "127.0.0.1:8066")
	if err != nil {
		return
	}
	go srv.Serve(l)
	defer srv.Close()
}
