package bunqtest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/netip"
	"time"

	"github.com/bankhook/bankhook/bunq"
)

// installation is a client's key pair registration: POST /v1/installation.
type installation struct {
	id         int64
	token      string
	created    time.Time
	clientKey  *rsa.PublicKey
	device     *device         // set by POST /v1/device-server
	requestIDs map[string]bool // X-Bunq-Client-Request-Id values seen on this installation's calls
}

// device is a DeviceServer: an API key bound to an installation and the
// addresses it may call from.
type device struct {
	id          int64
	description string
	user        *user
	anyIP       bool         // permitted_ips held "*"
	permitted   []netip.Addr // permitted_ips, or the address that registered the device
}

func (d *device) permits(addr string) bool {
	if d.anyIP {
		return true
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range d.permitted {
		if p == a {
			return true
		}
	}
	return false
}

// session is an open session.
type session struct {
	id      int64
	token   string
	user    *user
	inst    *installation
	expires time.Time // on the stand-in's clock; each request extends it
}

// token is bunq's Token object, returned by installation and session-server.
type token struct {
	ID      int64     `json:"id"`
	Created bunq.Time `json:"created"`
	Updated bunq.Time `json:"updated"`
	Token   string    `json:"token"`
}

func (s *Server) newTokenLocked() token {
	s.ids.token++
	return token{ID: s.ids.token, Created: bunq.Time{Time: s.now}, Updated: bunq.Time{Time: s.now}, Token: randomHex(32)}
}

// postInstallation registers the client's public key and answers the
// installation token and the server's public key.
func (s *Server) postInstallation(c *call) (*result, *apiError) {
	var req struct {
		ClientPublicKey string `json:"client_public_key"`
	}
	if aerr := decodeBody(c, &req); aerr != nil {
		return nil, aerr
	}
	key, aerr := parseClientKey(req.ClientPublicKey)
	if aerr != nil {
		return nil, aerr
	}
	s.ids.installation++
	tok := s.newTokenLocked()
	inst := &installation{id: s.ids.installation, token: tok.Token, created: s.now, clientKey: key, requestIDs: map[string]bool{}}
	s.installations[tok.Token] = inst
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		return nil, errorf(http.StatusInternalServerError, "The stand-in could not encode its key.")
	}
	serverKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return &result{items: []any{
		idItem(inst.id),
		one("Token", tok),
		one("ServerPublicKey", struct {
			ServerPublicKey string `json:"server_public_key"`
		}{serverKey}),
	}}, nil
}

// parseClientKey reads client_public_key: a PEM RSA public key of at
// least 2048 bits, in PKIX ("PUBLIC KEY") or PKCS #1 ("RSA PUBLIC KEY")
// form.
func parseClientKey(s string) (*rsa.PublicKey, *apiError) {
	block, rest := pem.Decode([]byte(s))
	if block == nil || len(trimSpace(rest)) > 0 {
		return nil, errorf(http.StatusBadRequest, "client_public_key must hold one PEM public key.")
	}
	var key *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "client_public_key is not a valid public key.")
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "client_public_key must be an RSA key.")
		}
		key = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "client_public_key is not a valid public key.")
		}
		key = k
	default:
		return nil, errorf(http.StatusBadRequest, "client_public_key must be a PEM PUBLIC KEY, not %q.", block.Type)
	}
	if key.N.BitLen() < 2048 {
		return nil, errorf(http.StatusBadRequest, "client_public_key must have 2048 bits, it has %d.", key.N.BitLen())
	}
	return key, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// postDeviceServer binds an API key to the installation.
func (s *Server) postDeviceServer(c *call) (*result, *apiError) {
	var req struct {
		Description  string   `json:"description"`
		Secret       string   `json:"secret"`
		PermittedIPs []string `json:"permitted_ips"`
	}
	if aerr := decodeBody(c, &req); aerr != nil {
		return nil, aerr
	}
	if req.Description == "" {
		return nil, errorf(http.StatusBadRequest, "description is required.")
	}
	u := s.apiKeys[req.Secret]
	if u == nil {
		return nil, errorf(http.StatusBadRequest, "User credentials are incorrect. Incorrect API key or IP address.")
	}
	d := &device{description: req.Description, user: u}
	for _, ip := range req.PermittedIPs {
		if ip == "*" {
			d.anyIP = true
			continue
		}
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "permitted_ips: %q is not an IP address.", ip)
		}
		d.permitted = append(d.permitted, a.Unmap().WithZone(""))
	}
	if len(req.PermittedIPs) == 0 {
		a, err := netip.ParseAddr(clientAddr(c.r))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "Could not tell the address of this device.")
		}
		d.permitted = []netip.Addr{a.Unmap().WithZone("")}
	}
	s.ids.device++
	d.id = s.ids.device
	c.inst.device = d
	return &result{items: []any{idItem(d.id)}}, nil
}

// postSessionServer opens a session for the installation's device.
func (s *Server) postSessionServer(c *call) (*result, *apiError) {
	var req struct {
		Secret string `json:"secret"`
	}
	if aerr := decodeBody(c, &req); aerr != nil {
		return nil, aerr
	}
	d := c.inst.device
	if d == nil || req.Secret == "" || d.user.apiKey != req.Secret {
		return nil, errorf(http.StatusUnauthorized, "User credentials are incorrect. Incorrect API key or IP address.")
	}
	if !d.permits(clientAddr(c.r)) {
		return nil, errorf(http.StatusUnauthorized, "User credentials are incorrect. Incorrect API key or IP address.")
	}
	s.ids.session++
	tok := s.newTokenLocked()
	sess := &session{id: s.ids.session, token: tok.Token, user: d.user, inst: c.inst, expires: s.now.Add(s.opts.SessionTimeout)}
	s.sessions[tok.Token] = sess
	return &result{items: []any{idItem(sess.id), one("Token", tok), s.userObjectLocked(d.user)}}, nil
}

// userObjectLocked is the user as session-server and GET /v1/user return
// it, keyed by its kind: {"UserPerson":{…}}. Its session_timeout is the
// stand-in's, in seconds; a UserApiKey carries it in the user that
// requested it, as bunq's SDKs read it.
func (s *Server) userObjectLocked(u *user) any {
	t := bunq.Time{Time: u.created}
	timeout := int64(s.opts.SessionTimeout / time.Second)
	person := &bunq.UserPerson{
		ID: u.id, Created: t, Updated: t, DisplayName: u.name, PublicNickName: u.name,
		Language: "en_US", Region: "nl_NL", Status: "ACTIVE", SubStatus: "NONE", SessionTimeout: timeout,
	}
	switch u.kind {
	case "UserCompany":
		return &bunq.User{Company: &bunq.UserCompany{
			ID: u.id, Created: t, Updated: t, Name: u.name, DisplayName: u.name, PublicNickName: u.name,
			Language: "en_US", Region: "nl_NL", Status: "ACTIVE", SubStatus: "NONE", SessionTimeout: timeout,
		}}
	case "UserApiKey":
		granter := *person
		granter.ID += 500000
		return &bunq.User{APIKey: &bunq.UserAPIKey{
			ID: u.id, Created: t, Updated: t,
			RequestedByUser: &bunq.User{Person: person},
			GrantedByUser:   &bunq.User{Person: &granter},
		}}
	case "UserPaymentServiceProvider":
		// bunq.UserPaymentServiceProvider has no session_timeout; bunq
		// sends one for every user that opens sessions.
		type psp struct {
			bunq.UserPaymentServiceProvider
			SessionTimeout int64 `json:"session_timeout"`
		}
		return one("UserPaymentServiceProvider", &psp{bunq.UserPaymentServiceProvider{
			ID: u.id, Created: t, Updated: t, Name: u.name, DisplayName: u.name, PublicNickName: u.name,
			Status: "ACTIVE", SubStatus: "NONE",
		}, timeout})
	}
	return &bunq.User{Person: person}
}
