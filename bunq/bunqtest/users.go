package bunqtest

// postSandboxUserPerson answers POST /v1/sandbox-user-person, which
// bunq's sandbox offers without authentication: it creates a natural
// person with a monetary account and answers its API key,
// {"Response":[{"ApiKey":{"api_key":"sandbox_…"}}]}.
func (s *Server) postSandboxUserPerson(c *call) (*result, *apiError) {
	if len(trimSpace(c.body)) > 0 {
		var req map[string]any
		if aerr := decodeBody(c, &req); aerr != nil {
			return nil, aerr
		}
	}
	u := s.addUserLocked("UserPerson", "", "sandbox_"+randomHex(32))
	return &result{items: []any{one("ApiKey", struct {
		APIKey string `json:"api_key"`
	}{u.apiKey})}}, nil
}

// listUsers answers GET /v1/user: the session's user, keyed by its kind,
// as bunq's SDKs read it when they refresh their context.
func (s *Server) listUsers(c *call) (*result, *apiError) {
	return &result{items: []any{s.userObjectLocked(c.user)}}, nil
}

// readUser answers GET /v1/user/{userID}: the session's user (another
// user's id is refused with 403 before this runs).
func (s *Server) readUser(c *call) (*result, *apiError) {
	return &result{items: []any{s.userObjectLocked(c.user)}}, nil
}
