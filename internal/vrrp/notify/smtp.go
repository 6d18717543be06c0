package notify

import (
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
)

// Mailer sends keepalived's SMTP alerts (smtp_alert) from global_defs.
type Mailer struct {
	RouterID string
	Server   string // host or address; "" = no mail
	Port     int
	Helo     string
	From     string
	To       []string
	Timeout  time.Duration // smtp_connect_timeout, also bounds the dialogue

	logf func(string, ...any)
	q    *queue
}

// NewMailer reads the mail settings of global_defs and starts the sender.
func NewMailer(g keepalivedconf.GlobalDefs, logf func(string, ...any)) *Mailer {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	host, _ := os.Hostname()
	m := &Mailer{RouterID: g.RouterID, Server: g.SMTPServer, Port: g.SMTPPort, Helo: g.SMTPHeloName,
		From: g.NotificationEmailFrom, To: g.NotificationEmail, Timeout: g.SMTPConnectTimeout, logf: logf, q: newQueue()}
	if m.RouterID == "" {
		m.RouterID = host
	}
	if m.From == "" {
		m.From = "keepalived@" + host
	}
	if m.Helo == "" {
		m.Helo = host
	}
	if m.Port == 0 {
		m.Port = 25
	}
	if m.Timeout <= 0 {
		m.Timeout = 30 * time.Second
	}
	return m
}

// Enabled reports whether mail can be sent at all.
func (m *Mailer) Enabled() bool { return m.Server != "" && len(m.To) > 0 }

// Close waits (up to wait) for queued mails, then stops.
func (m *Mailer) Close(wait time.Duration) { m.q.close(wait) }

// Subject and Body are keepalived's texts for a VRRP alert.
func Subject(routerID string, e Event) string {
	if e.Group {
		return fmt.Sprintf("[%s] VRRP Group %s - Entering %s state", routerID, e.Name, e.State)
	}
	return fmt.Sprintf("[%s] VRRP Instance %s - Entering %s state", routerID, e.Name, e.State)
}

func Body(e Event) string {
	if e.Group {
		return fmt.Sprintf("=> All VRRP group instances are now in %s state <=", e.State)
	}
	switch e.State {
	case "MASTER":
		return "=> VRRP Instance is now owning VRRP VIPs <="
	case "FAULT":
		return "=> VRRP Instance is in FAULT state <="
	}
	return "=> VRRP Instance is no longer owning VRRP VIPs <="
}

// Alert queues the mail for e; failures are logged, never returned.
func (m *Mailer) Alert(e Event) {
	if !m.Enabled() {
		return
	}
	subject, body := Subject(m.RouterID, e), Body(e)
	if !m.q.add(func() {
		if err := m.send(subject, body, time.Now()); err != nil {
			m.logf("SMTP alert %q to %s:%d: %v", subject, m.Server, m.Port, err)
		}
	}) {
		m.logf("SMTP alert %q dropped: queue full or closed", subject)
	}
}

// Message renders the mail as keepalived's smtp.c does.
func (m *Mailer) Message(subject, body string, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Date: %s\r\n", at.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s\r\n", m.From)
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "X-Mailer: Keepalived\r\n")
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(m.To, ", "))
	fmt.Fprintf(&b, "\r\n%s\r\n", body)
	return b.String()
}

// send speaks the SMTP dialogue keepalived uses: HELO (not EHLO), MAIL
// FROM, one RCPT TO per address, DATA, QUIT.
func (m *Mailer) send(subject, body string, at time.Time) error {
	addr := net.JoinHostPort(m.Server, strconv.Itoa(m.Port))
	conn, err := net.DialTimeout("tcp", addr, m.Timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(m.Timeout))
	tc := textproto.NewConn(conn)
	step := func(code int, format string, args ...any) error {
		if format != "" {
			if err := tc.PrintfLine(format, args...); err != nil {
				return err
			}
		}
		if _, _, err := tc.ReadResponse(code); err != nil {
			if format == "" {
				return fmt.Errorf("reply: %w", err)
			}
			return fmt.Errorf("%s: %w", strings.Fields(fmt.Sprintf(format, args...))[0], err)
		}
		return nil
	}
	if err := step(220, ""); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if err := step(250, "HELO %s", m.Helo); err != nil {
		return err
	}
	if err := step(250, "MAIL FROM:<%s>", m.From); err != nil {
		return err
	}
	for _, to := range m.To {
		if err := step(250, "RCPT TO:<%s>", to); err != nil {
			return err
		}
	}
	if err := step(354, "DATA"); err != nil {
		return err
	}
	w := tc.DotWriter() // dot-stuffing and the final "."
	if _, err := w.Write([]byte(m.Message(subject, body, at))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := step(250, ""); err != nil {
		return fmt.Errorf("end of DATA: %w", err)
	}
	return step(221, "QUIT")
}
