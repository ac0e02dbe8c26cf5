package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Connection is command:remote:Connection: how to reach a host over SSH.
type Connection struct {
	AgentSocketPath    *string          `pulumi:"agentSocketPath,optional"`
	DialErrorLimit     *int             `pulumi:"dialErrorLimit,optional"`
	Host               string           `pulumi:"host"`
	HostKey            *string          `pulumi:"hostKey,optional"`
	Password           *string          `pulumi:"password,optional" provider:"secret"`
	PerDialTimeout     *int             `pulumi:"perDialTimeout,optional"`
	Port               *float64         `pulumi:"port,optional"`
	PrivateKey         *string          `pulumi:"privateKey,optional" provider:"secret"`
	PrivateKeyPassword *string          `pulumi:"privateKeyPassword,optional" provider:"secret"`
	Proxy              *ProxyConnection `pulumi:"proxy,optional"`
	User               *string          `pulumi:"user,optional"`
}

// Annotate sets the type's token and the defaults of pulumi-command's schema.
func (c *Connection) Annotate(a infer.Annotator) {
	a.SetToken("remote", "Connection")
	a.SetDefault(&c.User, "root")
	a.SetDefault(&c.Port, 22)
	a.SetDefault(&c.DialErrorLimit, 10)
	a.SetDefault(&c.PerDialTimeout, 15)
}

// ProxyConnection is command:remote:ProxyConnection: the jump host a Connection goes through.
type ProxyConnection struct {
	AgentSocketPath    *string  `pulumi:"agentSocketPath,optional"`
	DialErrorLimit     *int     `pulumi:"dialErrorLimit,optional"`
	Host               string   `pulumi:"host"`
	HostKey            *string  `pulumi:"hostKey,optional"`
	Password           *string  `pulumi:"password,optional" provider:"secret"`
	PerDialTimeout     *int     `pulumi:"perDialTimeout,optional"`
	Port               *float64 `pulumi:"port,optional"`
	PrivateKey         *string  `pulumi:"privateKey,optional" provider:"secret"`
	PrivateKeyPassword *string  `pulumi:"privateKeyPassword,optional" provider:"secret"`
	User               *string  `pulumi:"user,optional"`
}

// Annotate sets the type's token and the defaults of pulumi-command's schema.
func (c *ProxyConnection) Annotate(a infer.Annotator) {
	a.SetToken("remote", "ProxyConnection")
	a.SetDefault(&c.User, "root")
	a.SetDefault(&c.Port, 22)
	a.SetDefault(&c.DialErrorLimit, 10)
	a.SetDefault(&c.PerDialTimeout, 15)
}

// endpoint is the part of Connection and ProxyConnection that dialling needs.
type endpoint struct {
	host, user, hostKey, agentSocket      string
	password, privateKey, privateKeyPass  string
	port, dialErrorLimit, perDialTimeoutS int
}

func (c Connection) endpoint() endpoint {
	return newEndpoint(c.Host, c.User, c.HostKey, c.AgentSocketPath, c.Password, c.PrivateKey,
		c.PrivateKeyPassword, c.Port, c.DialErrorLimit, c.PerDialTimeout)
}

func (c ProxyConnection) endpoint() endpoint {
	return newEndpoint(c.Host, c.User, c.HostKey, c.AgentSocketPath, c.Password, c.PrivateKey,
		c.PrivateKeyPassword, c.Port, c.DialErrorLimit, c.PerDialTimeout)
}

func newEndpoint(host string, user, hostKey, agentSocket, password, key, keyPass *string, port *float64,
	dialErrorLimit, perDialTimeout *int,
) endpoint {
	str := func(s *string, def string) string {
		if s == nil {
			return def
		}
		return *s
	}
	num := func(n *int, def int) int {
		if n == nil {
			return def
		}
		return *n
	}
	e := endpoint{
		host: host, user: str(user, "root"), hostKey: str(hostKey, ""), agentSocket: str(agentSocket, ""),
		password: str(password, ""), privateKey: str(key, ""), privateKeyPass: str(keyPass, ""),
		port: 22, dialErrorLimit: num(dialErrorLimit, 10), perDialTimeoutS: num(perDialTimeout, 15),
	}
	if port != nil {
		e.port = int(*port)
	}
	return e
}

func (e endpoint) address() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// errHostKey marks a failure no retry can fix: the host is not the one the stack pins.
var errHostKey = errors.New("host key mismatch")

// clientConfig checks the settings and builds the SSH client configuration. Unlike pulumi-command,
// a connection without hostKey is refused: accepting whatever key a host shows would let anyone
// on the path receive the runner tokens and configs these commands carry.
func (e endpoint) clientConfig(what string) (*ssh.ClientConfig, error) {
	if e.host == "" {
		return nil, fmt.Errorf("%s.host must be set", what)
	}
	if e.port <= 0 || e.port > 65535 {
		return nil, fmt.Errorf("%s.port %d must be between 1 and 65535", what, e.port)
	}
	if e.hostKey == "" {
		return nil, fmt.Errorf("%s.hostKey must be set (the host's public key, e.g. \"ssh-ed25519 AAAA…\"): "+
			"this provider does not connect to %s without verifying it", what, e.address())
	}
	want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(e.hostKey))
	if err != nil {
		return nil, fmt.Errorf("%s.hostKey: not a public key in authorized_keys form (\"<type> <base64>\"): %w", what, err)
	}
	auth, err := e.authMethods(what)
	if err != nil {
		return nil, err
	}
	wantBytes := want.Marshal()
	return &ssh.ClientConfig{
		User: e.user,
		Auth: auth,
		HostKeyCallback: func(_ string, _ net.Addr, got ssh.PublicKey) error {
			if !bytes.Equal(got.Marshal(), wantBytes) {
				return fmt.Errorf("%w: %s presented %s %s, but %s.hostKey is %s %s", errHostKey, e.address(),
					got.Type(), ssh.FingerprintSHA256(got), what, want.Type(), ssh.FingerprintSHA256(want))
			}
			return nil
		},
		HostKeyAlgorithms: []string{want.Type()},
		Timeout:           time.Duration(e.perDialTimeoutS) * time.Second,
	}, nil
}

func (e endpoint) authMethods(what string) ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	if e.privateKey != "" {
		var signer ssh.Signer
		var err error
		if e.privateKeyPass != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(e.privateKey), []byte(e.privateKeyPass))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(e.privateKey))
		}
		if err != nil {
			// The parser's message never quotes the key.
			return nil, fmt.Errorf("%s.privateKey: %w", what, err)
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if e.password != "" {
		password := e.password
		methods = append(methods, ssh.Password(password),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = password
				}
				return answers, nil
			}))
	}
	socket := e.agentSocket
	if socket == "" && len(methods) == 0 {
		socket = os.Getenv("SSH_AUTH_SOCK")
	}
	if socket != "" {
		methods = append(methods, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			conn, err := net.Dial("unix", socket)
			if err != nil {
				return nil, fmt.Errorf("%s.agentSocketPath %s: %w", what, socket, err)
			}
			return agent.NewClient(conn).Signers()
		}))
	}
	if len(methods) == 0 {
		return nil, fmt.Errorf("%s: no credentials: set privateKey, password or agentSocketPath", what)
	}
	return methods, nil
}

// dial connects to the connection's host, through its proxy when it has one, retrying failed
// dials up to dialErrorLimit times (-1: no limit). Host key and authentication failures are final.
func dial(ctx context.Context, c Connection) (*ssh.Client, error) {
	target := c.endpoint()
	cfg, err := target.clientConfig("connection")
	if err != nil {
		return nil, err
	}
	if c.Proxy == nil {
		return withRetries(ctx, target, func() (*ssh.Client, error) {
			return directDial(ctx, target, cfg)
		})
	}
	jump := c.Proxy.endpoint()
	jumpCfg, err := jump.clientConfig("connection.proxy")
	if err != nil {
		return nil, err
	}
	proxy, err := withRetries(ctx, jump, func() (*ssh.Client, error) { return directDial(ctx, jump, jumpCfg) })
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", jump.address(), err)
	}
	client, err := withRetries(ctx, target, func() (*ssh.Client, error) {
		conn, err := proxy.Dial("tcp", target.address())
		if err != nil {
			return nil, err
		}
		return handshake(conn, target, cfg)
	})
	if err != nil {
		_ = proxy.Close()
		return nil, fmt.Errorf("%s through proxy %s: %w", target.address(), jump.address(), err)
	}
	go func() {
		_ = client.Wait()
		_ = proxy.Close()
	}()
	return client, nil
}

func directDial(ctx context.Context, e endpoint, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	d := net.Dialer{Timeout: cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", e.address())
	if err != nil {
		return nil, err
	}
	return handshake(conn, e, cfg)
}

func handshake(conn net.Conn, e endpoint, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	if cfg.Timeout > 0 {
		_ = conn.SetDeadline(time.Now().Add(cfg.Timeout))
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, e.address(), cfg)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// final says whether a dial error is one that retrying cannot fix.
func final(err error) bool {
	if errors.Is(err, errHostKey) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return false
	}
	// ssh: handshake failed: ssh: unable to authenticate…
	return bytes.Contains([]byte(err.Error()), []byte("unable to authenticate"))
}

func withRetries(ctx context.Context, e endpoint, once func() (*ssh.Client, error)) (*ssh.Client, error) {
	var last error
	for attempt := 1; e.dialErrorLimit < 0 || attempt <= max(e.dialErrorLimit, 1); attempt++ {
		client, err := once()
		if err == nil {
			return client, nil
		}
		last = err
		if final(err) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("dial %s: %w (last error: %v)", e.address(), ctx.Err(), last)
		case <-time.After(backoff(attempt)):
		}
	}
	return nil, fmt.Errorf("dial %s as %s: %w", e.address(), e.user, last)
}

func backoff(attempt int) time.Duration {
	d := time.Duration(attempt) * 500 * time.Millisecond
	return min(d, 5*time.Second)
}
