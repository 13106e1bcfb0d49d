package bunqtest

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// pinObject is a CertificatePinned as bunq lists it: the chain glued with
// newlines.
type pinObject struct {
	CertificateChain string `json:"certificate_chain"`
	ID               int64  `json:"id"`
}

// createPin answers POST …/certificate-pinned. The body is
// {"certificate_chain":[{"certificate":"<PEM>"},…]}, leaf first, as
// bunq's API reference gives it; each member holds one certificate.
func (s *Server) createPin(c *call) (*result, *apiError) {
	var req struct {
		Chain jsontext.Value `json:"certificate_chain"`
	}
	if aerr := decodeBody(c, &req); aerr != nil {
		return nil, aerr
	}
	if req.Chain.Kind() != '[' {
		return nil, errorf(http.StatusBadRequest, `certificate_chain must be a list of {"certificate": "<PEM>"} objects.`)
	}
	var chain []struct {
		Certificate string `json:"certificate"`
	}
	if aerr := decodeBody(&call{body: req.Chain}, &chain); aerr != nil {
		return nil, aerr
	}
	if len(chain) == 0 {
		return nil, errorf(http.StatusBadRequest, "certificate_chain is empty.")
	}
	p := &pin{}
	pems := make([]string, len(chain))
	for i, m := range chain {
		block, rest := pem.Decode([]byte(m.Certificate))
		if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) > 0 {
			return nil, errorf(http.StatusBadRequest, "certificate_chain[%d] must hold one PEM certificate.", i)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, errorf(http.StatusBadRequest, "certificate_chain[%d] is not a valid certificate.", i)
		}
		if i == 0 {
			p.leaf = block.Bytes
		}
		pems[i] = strings.TrimRight(m.Certificate, "\n")
	}
	s.ids.pin++
	p.id = s.ids.pin
	p.chainPEM = strings.Join(pems, "\n") + "\n"
	c.user.pins = append(c.user.pins, p)
	return &result{items: []any{idItem(p.id)}}, nil
}

// listPins answers GET …/certificate-pinned.
func (s *Server) listPins(c *call) (*result, *apiError) {
	items := make([]any, 0, len(c.user.pins))
	for _, p := range c.user.pins {
		items = append(items, one("CertificatePinned", pinObject{p.chainPEM, p.id}))
	}
	return &result{items: items}, nil
}

// readPin answers GET …/certificate-pinned/{itemID}.
func (s *Server) readPin(c *call) (*result, *apiError) {
	i, aerr := pinIndex(c)
	if aerr != nil {
		return nil, aerr
	}
	p := c.user.pins[i]
	return &result{items: []any{one("CertificatePinned", pinObject{p.chainPEM, p.id})}}, nil
}

// deletePin answers DELETE …/certificate-pinned/{itemID}.
func (s *Server) deletePin(c *call) (*result, *apiError) {
	i, aerr := pinIndex(c)
	if aerr != nil {
		return nil, aerr
	}
	c.user.pins = slices.Delete(c.user.pins, i, i+1)
	return &result{}, nil
}

func pinIndex(c *call) (int, *apiError) {
	id, err := strconv.ParseInt(c.r.PathValue("itemID"), 10, 64)
	if err == nil {
		for i, p := range c.user.pins {
			if p.id == id {
				return i, nil
			}
		}
	}
	return 0, errorf(http.StatusNotFound, "No pinned certificate chain %s.", c.r.PathValue("itemID"))
}
